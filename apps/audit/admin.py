import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.access.admin import PolicyModelAdmin
from apps.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyModelAdmin):
    """Read-only: the trail is written by `apps.audit.recording` only."""

    append_only = True
    list_display = ["at", "actor", "source", "action", "target_type", "target_repr"]
    list_filter = ["action", "source", "target_type"]
    search_fields = ["target_repr", "target_id", "actor__username", "actor__full_name"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    fields = ["at", "actor", "source", "action", "target_type", "target_id", "target_repr",
              "changes_table"]
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def changes_table(self, entry: AuditEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.changes, indent=2,
                                                       ensure_ascii=False, sort_keys=True))
