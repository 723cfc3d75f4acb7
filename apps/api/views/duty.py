from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.access import policy
from apps.accounts.models import User
from apps.api.filters import IdFilter, TimeFilter
from apps.api.idempotency import PARAMETER, RECORD_PARAMETER, idempotent, record_key
from apps.api.pagination import RecordPagination
from apps.api.serializers.duty import (
    AttendanceSerializer,
    CheckInSerializer,
    CheckOutSerializer,
    GuardPostCreateSerializer,
    GuardPostSerializer,
    PanicResultSerializer,
    PanicSerializer,
    SafeSerializer,
    SafetyConfirmationSerializer,
    ShiftSerializer,
    ShiftUpdateSerializer,
    ShiftWriteSerializer,
)
from apps.api.views.base import ReadOnlyViewSet
from apps.api.views.cameras import scoped_pk, validated
from apps.duty import safety, services
from apps.duty.alerting import local_label
from apps.duty.models import Attendance, GuardPost, Shift
from apps.places.models import Facility


class GuardPostFilter(filters.FilterSet):
    facility = IdFilter(field_name="facility_id")

    class Meta:
        model = GuardPost
        fields: list[str] = []


class ShiftFilter(filters.FilterSet):
    post = IdFilter(field_name="post_id")
    facility = IdFilter(field_name="post__facility_id")
    person = IdFilter(field_name="person_id")
    mine = filters.BooleanFilter(method="filter_mine", label="Only my own shifts")
    published = filters.BooleanFilter(field_name="published_at", lookup_expr="isnull",
                                      exclude=True)
    starts_after = TimeFilter(field_name="start", lookup_expr="gte")
    starts_before = TimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Shift
        fields: list[str] = []

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(person_id=user.pk) if value else queryset.exclude(
            person_id=user.pk)


class AttendanceFilter(filters.FilterSet):
    post = IdFilter(field_name="post_id")
    person = IdFilter(field_name="person_id")
    shift = IdFilter(field_name="shift_id")
    open = filters.BooleanFilter(field_name="checked_out_at", lookup_expr="isnull")
    checked_in_after = TimeFilter(field_name="checked_in_at", lookup_expr="gte")
    checked_in_before = TimeFilter(field_name="checked_in_at", lookup_expr="lt")

    class Meta:
        model = Attendance
        fields: list[str] = []


class GuardPostViewSet(ReadOnlyViewSet):
    """Guard posts (pos jaga) of the facilities the person may see; Padal, commanders and
    administrators add them (apps.duty.services.post_create)."""

    queryset = GuardPost.objects.select_related("facility")
    serializer_class = GuardPostSerializer
    filterset_class = GuardPostFilter
    ordering_fields = ["id", "name"]
    ordering = ["facility__name", "-is_main", "name", "id"]
    idempotent_writes = True

    @extend_schema(request=GuardPostCreateSerializer, responses={201: GuardPostSerializer},
                   parameters=[PARAMETER])
    @idempotent
    def create(self, request):
        data = validated(GuardPostCreateSerializer, request)
        facility = scoped_pk(request.user, Facility.objects.all(), data["facility"],
                             field="facility", message=_("Unknown facility."))
        post = services.post_create(facility=facility, by=request.user, name=data["name"],
                                    description=data["description"], is_main=data["is_main"])
        return self.respond(post, 201)


class ShiftViewSet(ReadOnlyViewSet):
    """Shifts: rosters are planned by Padal and commanders (draft until published); guards
    see their own published shifts and check in on them. Overlaps are refused (400, code
    `overlap`), whoever wins a race."""

    queryset = Shift.objects.select_related("post", "person", "attendance")
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    ordering_fields = ["id", "start", "end"]
    ordering = ["start", "id"]
    pagination_class = RecordPagination  # an operation's months of rosters: by cursor
    idempotent_writes = True

    def _person(self, person_id):
        if person_id is None:
            return None
        return scoped_pk(self.request.user, User.objects.all(), person_id, field="person",
                         message=_("Unknown person."))

    @extend_schema(request=ShiftWriteSerializer, responses={201: ShiftSerializer},
                   parameters=[PARAMETER])
    @idempotent
    def create(self, request):
        data = validated(ShiftWriteSerializer, request)
        post = scoped_pk(request.user, GuardPost.objects.select_related("facility"),
                         data["post"], field="post", message=_("Unknown post."))
        shift = services.shift_create(post=post, by=request.user, start=data["start"],
                                      end=data["end"], person=self._person(data["person"]),
                                      note=data["note"], publish=data["publish"])
        return self.respond(shift, 201)

    @extend_schema(request=ShiftUpdateSerializer, responses={200: ShiftSerializer})
    def partial_update(self, request, pk=None):
        shift = self.get_object()
        data = validated(ShiftUpdateSerializer, request)
        person = self._person(data["person"]) if "person" in data else shift.person
        shift = services.shift_update(
            shift=shift, by=request.user, start=data.get("start", shift.start),
            end=data.get("end", shift.end), person=person, note=data.get("note", shift.note))
        return self.respond(shift)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.shift_delete(shift=self.get_object(), by=request.user)
        return Response(status=204)

    @extend_schema(request=CheckInSerializer, responses={201: AttendanceSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], url_path="check-in", filter_backends=[],
            pagination_class=None)
    @idempotent
    def check_in(self, request, pk=None):
        """Check in on one's own published shift (from 30 minutes before it starts)."""
        shift = self.get_object()
        data = validated(CheckInSerializer, request)
        attendance = services.attendance_check_in(
            shift=shift, user=request.user, device_time=data["device_time"],
            latitude=data.get("latitude"), longitude=data.get("longitude"),
            accuracy_m=data["accuracy_m"])
        attendance.reviewable = True
        return Response(AttendanceSerializer(attendance).data, status=201)

    @extend_schema(request=SafeSerializer, responses={201: SafetyConfirmationSerializer})
    @action(detail=True, methods=["post"], url_path="safe", filter_backends=[],
            pagination_class=None)
    def safe(self, request, pk=None):
        """"Saya aman": the guard checked in at a lone-check post confirms they are safe
        (only for their own running shift; it clears the post's overdue alert)."""
        shift = self.get_object()
        data = validated(SafeSerializer, request)
        confirmation = safety.safe_confirm(shift=shift, user=request.user, **data)
        return Response(SafetyConfirmationSerializer(confirmation).data, status=201)


class TooManyPresses(exceptions.Throttled):
    default_detail = _("Your panic alert is already with the command center; "
                       "press again in a moment.")


class PanicView(APIView):
    """The panic button (tombol darurat): a critical alert with the person and their
    location at the place they are on duty, to the command center and the post commanders.
    Idempotent per press (`client_key` or the Idempotency-Key header: a resend answers 200
    with the first press); more than a few presses in five minutes answer 429."""

    @extend_schema(request=PanicSerializer, responses={201: PanicResultSerializer,
                                                       200: PanicResultSerializer},
                   parameters=[RECORD_PARAMETER])
    def post(self, request):
        data = validated(PanicSerializer, request)
        key = record_key(request, data.pop("client_key"))
        try:
            press, created = safety.panic_press(user=request.user, client_key=key, **data)
        except safety.PanicRateLimited as limited:
            raise TooManyPresses(wait=limited.retry_after) from None
        result = {
            "id": press.pk, "alert": press.alert_id, "duplicate": not created,
            "received_at": press.received_at,
            "received_local": local_label(press.received_at, press.facility),
            "facility_name": press.facility.name,
            "post_name": press.post.name if press.post_id else "",
            "located_by": press.located_by, "with_location": press.latitude is not None,
        }
        return Response(PanicResultSerializer(result).data, status=201 if created else 200)


class AttendanceViewSet(ReadOnlyViewSet):
    """Check-ins (attendance) of the posts the person may see, and their own."""

    queryset = Attendance.objects.select_related("person", "post", "shift")
    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilter
    ordering_fields = ["id", "checked_in_at"]
    ordering = ["-checked_in_at", "-id"]
    idempotent_writes = True

    def prepare(self, objects: list) -> list:
        user = self.request.user
        reviewable = set(policy.scope(user, Attendance.objects.filter(
            pk__in=[a.pk for a in objects]), policy.Action.MANAGE).values_list("pk", flat=True))
        for attendance in objects:
            attendance.reviewable = attendance.pk in reviewable or attendance.person_id == user.pk
        return objects

    @extend_schema(request=CheckOutSerializer, responses={200: AttendanceSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], url_path="check-out", filter_backends=[],
            pagination_class=None)
    @idempotent
    def check_out(self, request, pk=None):
        """Check out and leave the handover note (serah terima)."""
        attendance = self.get_object()
        data = validated(CheckOutSerializer, request)
        attendance = services.attendance_check_out(
            attendance=attendance, user=request.user, device_time=data["device_time"],
            handover_note=data["handover_note"])
        return self.respond(attendance)
