"""Cameras, their shares and their view record.

A camera here is never its address or its credentials: only what it is, where, whether it is
healthy, and where its latest (masked) snapshot can be fetched. A camera the person may not
view is never named, not even inside a share or a view record (see `camera_visible`)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers.base import AwareDateTimeField, ModelSerializer, NameField, Serializer
from apps.cameras.models import Camera, CameraHealth, CameraShare, ViewRecord


class HealthSerializer(ModelSerializer):
    class Meta:
        model = CameraHealth
        fields = ["state", "tamper", "fps", "bitrate_kbps", "width", "height", "last_frame_at",
                  "reconnects", "updated_at"]
        read_only_fields = fields


class CameraSerializer(ModelSerializer):
    facility_name = NameField("facility")
    health = serializers.SerializerMethodField()
    snapshot_url = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = ["id", "name", "facility", "facility_name", "orientation", "source_kind",
                  "enabled", "armed_from", "armed_until", "health", "snapshot_url"]
        read_only_fields = fields

    @extend_schema_field(HealthSerializer(allow_null=True))
    def get_health(self, camera):
        health = getattr(camera, "health", None)
        return HealthSerializer(health).data if health is not None else None

    def get_snapshot_url(self, camera) -> str:
        """The latest frame (JPEG, privacy masks burned in); fetching it is recorded in the
        owner's view record."""
        return reverse("api:camera-snapshot", args=[camera.pk])


class HiddenCameraMixin:
    """`camera` and `camera_name` are null unless the view marked the camera visible."""

    def get_camera(self, obj) -> int | None:
        return obj.camera_id if getattr(obj, "camera_visible", False) else None

    def get_camera_name(self, obj) -> str | None:
        return obj.camera.name if getattr(obj, "camera_visible", False) else None


class CameraShareSerializer(HiddenCameraMixin, ModelSerializer):
    camera = serializers.SerializerMethodField()
    camera_name = serializers.SerializerMethodField()
    grantee_name = NameField("grantee")
    granted_by_name = NameField("granted_by")
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = CameraShare
        fields = ["id", "camera", "camera_name", "grantee", "grantee_name", "operation",
                  "basis", "recordings", "valid_from", "valid_until", "granted_by_name",
                  "granted_at", "revoked_at", "revoke_reason", "active"]
        read_only_fields = fields



class ShareGrantSerializer(Serializer):
    camera = serializers.IntegerField(min_value=1)
    grantee = serializers.IntegerField(min_value=1, help_text="The security agency's id.")
    basis = serializers.CharField(max_length=255)
    operation = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    recordings = serializers.BooleanField(
        required=False, default=False,
        help_text="Also grant reviewing the recordings made within the share's period "
                  "(false: live only).")
    valid_from = AwareDateTimeField(required=False, allow_null=True)
    valid_until = AwareDateTimeField(required=False, allow_null=True)


class ShareRevokeSerializer(Serializer):
    reason = serializers.CharField(max_length=255)


class ViewRecordSerializer(HiddenCameraMixin, ModelSerializer):
    camera = serializers.SerializerMethodField()
    camera_name = serializers.SerializerMethodField()
    viewer_name = NameField("viewer")
    viewer_agency_name = serializers.SerializerMethodField()

    class Meta:
        model = ViewRecord
        fields = ["id", "camera", "camera_name", "viewer", "viewer_name", "viewer_agency",
                  "viewer_agency_name", "kind", "started_at", "ended_at", "footage_start",
                  "footage_end", "address", "user_agent"]
        read_only_fields = fields

    def get_viewer_agency_name(self, record) -> str | None:
        return str(record.viewer_agency) if record.viewer_agency_id else None
