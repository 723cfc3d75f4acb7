"""Alerts as the person may see them: an alert from a camera they may not view arrives
without the camera, its name or the detail text (apps.alerts.redaction decides)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.alerts.models import Alert, AlertEvent
from apps.api.serializers.base import ModelSerializer, Serializer


class AlertEventSerializer(ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    comment = serializers.CharField(source="shown_comment", read_only=True)

    class Meta:
        model = AlertEvent
        fields = ["id", "action", "actor", "actor_name", "comment", "at"]
        read_only_fields = fields

    def get_actor_name(self, event) -> str | None:
        return str(event.actor) if event.actor_id else None


class AlertSerializer(ModelSerializer):
    # In the request's language, from the alert's message (apps.alerts.texts).
    title = serializers.CharField(source="shown_title", read_only=True)
    detail = serializers.CharField(source="shown_detail", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    camera = serializers.SerializerMethodField()
    camera_name = serializers.SerializerMethodField()
    assigned_to_name = serializers.SerializerMethodField()
    escalated = serializers.SerializerMethodField()
    seq = serializers.IntegerField(source="last_seq", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "seq", "kind", "severity", "state", "title", "detail", "facility",
                  "facility_name", "camera", "camera_name", "occurrences", "first_raised_at",
                  "last_raised_at", "assigned_to", "assigned_to_name", "acknowledged_at",
                  "resolved_at", "escalated"]
        read_only_fields = fields

    def get_camera(self, alert) -> int | None:
        return alert.camera_id  # None after redaction

    def get_camera_name(self, alert) -> str | None:
        return alert.camera.name if alert.camera_id else None

    def get_assigned_to_name(self, alert) -> str | None:
        return str(alert.assigned_to) if alert.assigned_to_id else None

    def get_escalated(self, alert) -> bool:
        return alert.escalated_at is not None


class AlertDetailSerializer(AlertSerializer):
    events = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events"]
        read_only_fields = fields

    @extend_schema_field(AlertEventSerializer(many=True))
    def get_events(self, alert):
        events = AlertEvent.objects.filter(alert_id=alert.pk).select_related("actor", "alert")
        return AlertEventSerializer(events, many=True).data


class AlertCommentSerializer(Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                    default="")


class AlertResolveSerializer(Serializer):
    comment = serializers.CharField(max_length=2000, help_text="How the alert was resolved.")


class AlertAssignSerializer(Serializer):
    assignee = serializers.IntegerField(min_value=1, help_text="The person's id.")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                    default="")
