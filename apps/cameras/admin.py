from django.contrib import admin

from apps.access.admin import PolicyModelAdmin
from apps.cameras.forms import CameraForm
from apps.cameras.models import (
    Camera,
    CameraHealth,
    CameraLease,
    CameraShare,
    CameraStateChange,
    TimelineFrame,
)


@admin.register(Camera)
class CameraAdmin(PolicyModelAdmin):
    form = CameraForm
    list_display = ["name", "facility", "orientation", "source_kind", "enabled"]
    list_filter = ["orientation", "enabled", "source_kind", "facility__kind"]
    search_fields = ["name", "facility__name"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]

    def save_model(self, request, obj, form, change):
        # The admin saves with commit=False: credentials typed here would otherwise be lost.
        super().save_model(request, obj, form, change)
        form.save_credentials(obj)


@admin.register(CameraShare)
class CameraShareAdmin(PolicyModelAdmin):
    """Shares are granted and revoked by the owner agency on the camera's page; the admin
    shows them."""

    append_only = True
    list_display = ["camera", "grantee", "basis", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["grantee"]
    search_fields = ["camera__name", "grantee__name", "basis"]
    list_select_related = ["camera", "grantee"]


@admin.register(CameraHealth)
class CameraHealthAdmin(PolicyModelAdmin):
    append_only = True
    list_display = ["camera", "state", "tamper", "fps", "last_frame_at", "worker"]
    list_filter = ["state"]
    list_select_related = ["camera"]


@admin.register(CameraStateChange)
class CameraStateChangeAdmin(PolicyModelAdmin):
    append_only = True
    list_display = ["camera", "state", "at"]
    list_filter = ["state"]
    list_select_related = ["camera"]


@admin.register(TimelineFrame)
class TimelineFrameAdmin(PolicyModelAdmin):
    append_only = True
    list_display = ["camera", "taken_at"]
    list_select_related = ["camera"]


@admin.register(CameraLease)
class CameraLeaseAdmin(PolicyModelAdmin):
    append_only = True
    list_display = ["camera", "holder", "token", "expires_at"]
    list_select_related = ["camera"]
