"""Guard duty: posts, shifts and check-ins (apps.duty)."""

from __future__ import annotations

from rest_framework import serializers

from apps.api.serializers.base import (
    AwareDateTimeField,
    CoordinateField,
    ModelSerializer,
    NameField,
    Serializer,
)
from apps.duty.models import Attendance, GuardPost, Shift


class GuardPostSerializer(ModelSerializer):
    facility_name = NameField("facility")

    class Meta:
        model = GuardPost
        fields = ["id", "facility", "facility_name", "name", "description", "is_main",
                  "created_at"]
        read_only_fields = fields


class GuardPostCreateSerializer(Serializer):
    facility = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True,
                                        default="")
    is_main = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="Empty: the facility's first post is main.")


class ShiftSerializer(ModelSerializer):
    post_name = serializers.CharField(source="post.name", read_only=True)
    facility = serializers.IntegerField(source="post.facility_id", read_only=True)
    person_name = serializers.SerializerMethodField()
    attendance = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = ["id", "post", "post_name", "facility", "person", "person_name", "pillar",
                  "start", "end", "note", "published_at", "attendance"]
        read_only_fields = fields

    def get_person_name(self, shift) -> str | None:
        return str(shift.person) if shift.person_id else None

    def get_attendance(self, shift) -> int | None:
        attendance = getattr(shift, "attendance", None)
        return attendance.pk if attendance is not None else None


class ShiftWriteSerializer(Serializer):
    post = serializers.IntegerField(min_value=1)
    person = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                      default=None, help_text="Empty: an open slot.")
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    publish = serializers.BooleanField(required=False, default=False)


class ShiftUpdateSerializer(Serializer):
    person = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class CheckInSerializer(Serializer):
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None,
                                     help_text="The phone's time when the guard checked in.")
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    accuracy_m = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                          allow_null=True, default=None)


class SafeSerializer(Serializer):
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    accuracy_m = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                          allow_null=True, default=None)


class PanicSerializer(SafeSerializer):
    client_key = serializers.UUIDField(required=False, allow_null=True, default=None,
                                       help_text="Made by the phone for this press, the same "
                                                 "on every resend.")
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None,
                                     help_text="The phone's time when the button was pressed.")


class PanicResultSerializer(Serializer):
    id = serializers.IntegerField()
    alert = serializers.IntegerField()
    duplicate = serializers.BooleanField(help_text="A resend of a press already received.")
    received_at = serializers.DateTimeField()
    received_local = serializers.CharField(help_text="The receive time in the facility's "
                                                     "zone, e.g. 21:04 WIB.")
    facility_name = serializers.CharField()
    post_name = serializers.CharField(allow_blank=True)
    located_by = serializers.ChoiceField(choices=["shift", "visit", "region"])
    with_location = serializers.BooleanField()


class SafetyConfirmationSerializer(Serializer):
    id = serializers.IntegerField()
    shift = serializers.IntegerField(source="shift_id")
    post = serializers.IntegerField(source="post_id")
    at = serializers.DateTimeField()


class CheckOutSerializer(Serializer):
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None)
    handover_note = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                          default="", help_text="Serah terima for the next "
                                                                "shift.")


class AttendanceSerializer(ModelSerializer):
    """Where a guard stood (location) only for the guard and those who plan the post."""

    person_name = NameField("person")
    post_name = serializers.CharField(source="post.name", read_only=True)
    latitude = serializers.SerializerMethodField()
    longitude = serializers.SerializerMethodField()
    accuracy_m = serializers.SerializerMethodField()
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = Attendance
        fields = ["id", "shift", "person", "person_name", "post", "post_name", "pillar",
                  "checked_in_at", "check_in_received_at", "check_in_device_time",
                  "check_in_delayed", "late_minutes", "latitude", "longitude", "accuracy_m",
                  "has_photo", "checked_out_at", "check_out_received_at",
                  "check_out_device_time", "check_out_delayed", "early_leave_minutes",
                  "handover_note"]
        read_only_fields = fields

    def _reviewable(self, attendance) -> bool:
        return getattr(attendance, "reviewable", False)

    def get_latitude(self, attendance) -> float | None:
        value = attendance.latitude if self._reviewable(attendance) else None
        return float(value) if value is not None else None

    def get_longitude(self, attendance) -> float | None:
        value = attendance.longitude if self._reviewable(attendance) else None
        return float(value) if value is not None else None

    def get_accuracy_m(self, attendance) -> int | None:
        return attendance.accuracy_m if self._reviewable(attendance) else None

    def get_has_photo(self, attendance) -> bool:
        return bool(attendance.photo)
