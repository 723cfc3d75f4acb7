from django.contrib import admin

from apps.access.admin import PolicyModelAdmin
from apps.cameras import services
from apps.cameras.forms import OWNERS_FIELDS, CameraForm, may_classify
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

    def get_readonly_fields(self, request, obj=None):
        # What the camera may show is the owner agency's call: nobody else gets the fields.
        fields = list(super().get_readonly_fields(request, obj))
        if not may_classify(request.user, obj or Camera()):
            fields += OWNERS_FIELDS
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        user = request.user

        class CameraAdminForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, user=user, **kwargs)

        return CameraAdminForm

    def save_model(self, request, obj, form, change):
        # Through the service, like the portal's form: it checks who may set the orientation
        # and records a change. (The admin saves with commit=False, so the credentials are
        # stored here too.)
        services.camera_save(camera=obj, by=request.user)
        form.save_credentials(obj)


@admin.register(CameraShare)
class CameraShareAdmin(PolicyModelAdmin):
    """Shares are granted and revoked by the owner agency on the camera's page; the admin
    shows them."""

    append_only = True
    list_display = ["camera", "grantee", "recordings", "basis", "valid_from", "valid_until",
                    "revoked_at"]
    list_filter = ["recordings", "grantee"]
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
