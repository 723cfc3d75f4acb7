"""Records in the admin: read-only (append_only), like everywhere else. Corrections are made
on the record pages as amendments; checkpoints are configuration and may be edited."""

from django.contrib import admin

from apps.access.admin import PolicyModelAdmin
from apps.records import models as m
from apps.records import tokens


class ReadOnlyRecordAdmin(PolicyModelAdmin):
    append_only = True

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(m.Checkpoint)
class CheckpointAdmin(PolicyModelAdmin):
    list_display = ["name", "facility", "code", "token_version", "active"]
    list_filter = ["active"]
    search_fields = ["name", "facility__name", "code"]
    list_select_related = ["facility"]
    readonly_fields = ["code", "token_version", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.code = tokens.new_code()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(m.PatrolVisit)
class PatrolVisitAdmin(ReadOnlyRecordAdmin):
    list_display = ["occurred_at", "checkpoint", "recorded_by", "situation", "method",
                    "delayed"]
    list_filter = ["situation", "method", "delayed"]
    list_select_related = ["checkpoint__facility", "recorded_by"]
    date_hierarchy = "occurred_at"


@admin.register(m.Patrol)
class PatrolAdmin(ReadOnlyRecordAdmin):
    list_display = ["team_name", "leader", "mode", "started_at"]
    list_select_related = ["leader"]


@admin.register(m.WarehouseCheck)
class WarehouseCheckAdmin(ReadOnlyRecordAdmin):
    list_display = ["facility", "checked_at", "created_by", "has_discrepancy"]
    list_filter = ["has_discrepancy"]
    list_select_related = ["facility", "created_by"]


@admin.register(m.Incident)
class IncidentAdmin(ReadOnlyRecordAdmin):
    list_display = ["occurred_at", "facility", "category", "source"]
    list_filter = ["category", "source"]
    list_select_related = ["facility"]


@admin.register(m.ChainEntry)
class ChainEntryAdmin(ReadOnlyRecordAdmin):
    list_display = ["seq", "record_type", "record_id", "entry_hash", "created_at"]
    list_filter = ["record_type"]


@admin.register(m.ChainAnchor)
class ChainAnchorAdmin(ReadOnlyRecordAdmin):
    list_display = ["day", "seq", "entry_hash", "published_at"]


for model in (m.PatrolMember, m.PatrolEnd, m.CheckItem, m.CheckSignature, m.IncidentStep,
              m.IncidentEvidence, m.IncidentAlertLink, m.RecordPhoto, m.Amendment):
    admin.site.register(model, ReadOnlyRecordAdmin)
