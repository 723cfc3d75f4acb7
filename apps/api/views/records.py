"""Field records through apps.records.services. A create answers 201 with the new record, or
200 with the first record when the same `client_key` (or Idempotency-Key) was sent before."""

from __future__ import annotations

import json
from uuid import UUID

import django_filters as filters
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_body
from apps.api.filters import IdFilter, TimeFilter
from apps.api.idempotency import PARAMETER, RECORD_PARAMETER, idempotent, record_key
from apps.api.pagination import RecordPagination
from apps.api.serializers import records as s
from apps.api.views.base import ReadOnlyViewSet
from apps.api.views.cameras import scoped_pk, validated
from apps.core.photos import photos_normalise
from apps.places.models import Facility, Operation
from apps.records.models import (
    Category,
    CheckItem,
    Checkpoint,
    Incident,
    IncidentStep,
    Patrol,
    PatrolVisit,
    Situation,
    Source,
    WarehouseCheck,
)
from apps.records.services import checks, incidents, patrols
from apps.records.services.checks import CheckInput, ItemInput
from apps.records.services.incidents import IncidentInput
from apps.records.services.patrols import VisitInput

MAX_SYNC_VISITS = 100


def _saved(serializer_class, saved) -> Response:
    return Response(serializer_class(saved.record).data, status=201 if saved.created else 200)


def _created_or_replayed(serializer_class):
    return {201: serializer_class,
            200: OpenApiResponse(serializer_class, description="A resend: the first record.")}


class CheckpointFilter(filters.FilterSet):
    facility = IdFilter(field_name="facility_id")
    active = filters.BooleanFilter()

    class Meta:
        model = Checkpoint
        fields: list[str] = []


class CheckpointViewSet(ReadOnlyViewSet):
    """Checkpoints (titik pantau) of the facilities the person may see, for a field device to
    show offline. Without their label codes: a visit is proven by the label on site."""

    queryset = Checkpoint.objects.select_related("facility")
    serializer_class = s.CheckpointSerializer
    filterset_class = CheckpointFilter
    ordering_fields = ["id", "name"]
    ordering = ["facility__name", "name", "id"]


class PatrolFilter(filters.FilterSet):
    operation = IdFilter(field_name="operation_id")
    leader = IdFilter(field_name="leader_id")
    ended = filters.BooleanFilter(field_name="ending", lookup_expr="isnull", exclude=True)
    started_after = TimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = TimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Patrol
        fields: list[str] = []


class PatrolViewSet(ReadOnlyViewSet):
    queryset = Patrol.objects.select_related("leader", "agency", "ending").prefetch_related(
        "members")
    serializer_class = s.PatrolSerializer
    filterset_class = PatrolFilter
    ordering_fields = ["id", "started_at"]
    ordering = ["-started_at", "-id"]
    pagination_class = RecordPagination  # a year of patrols: walked by cursor, no count
    idempotent_writes = True

    @extend_schema(request=s.PatrolStartSerializer,
                   responses=_created_or_replayed(s.PatrolSerializer),
                   parameters=[RECORD_PARAMETER])
    def create(self, request):
        """Start a patrol (its leader is the person sending it)."""
        data = validated(s.PatrolStartSerializer, request)
        key = record_key(request, data["client_key"])
        operation = None
        if data["operation"] is not None:
            operation = scoped_pk(request.user, Operation.objects.all(), data["operation"],
                                  field="operation", message=_("Unknown operation."))
        planned = list(Checkpoint.objects.filter(pk__in=data["planned_checkpoints"]))
        if len(planned) != len(set(data["planned_checkpoints"])):
            raise serializers.ValidationError(
                {"planned_checkpoints": [_("Some planned checkpoints are not yours to "
                                           "patrol.")]}, code="checkpoints")
        saved = patrols.patrol_start(
            user=request.user, client_key=key, team_name=data["team_name"], mode=data["mode"],
            member_names=data["member_names"], pillars=data["pillars"], planned=planned,
            operation=operation, device_time=data["device_time"], note=data["note"])
        return _saved(s.PatrolSerializer, saved)

    @extend_schema(request=s.PatrolEndSerializer, responses={200: s.PatrolSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def end(self, request, pk=None):
        """End the patrol (its team)."""
        patrol = self.get_object()
        data = validated(s.PatrolEndSerializer, request)
        patrols.patrol_end(patrol=patrol, user=request.user, device_time=data["device_time"],
                           note=data["note"])
        return self.respond(self.get_queryset().get(pk=patrol.pk))


class PatrolVisitFilter(filters.FilterSet):
    facility = IdFilter(field_name="facility_id")
    checkpoint = IdFilter(field_name="checkpoint_id")
    patrol = IdFilter(field_name="patrol_id")
    mine = filters.BooleanFilter(method="filter_mine", label="Only visits I recorded")
    situation = filters.ChoiceFilter(choices=Situation.choices)
    occurred_after = TimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = TimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = PatrolVisit
        fields: list[str] = []

    def filter_mine(self, queryset, name, value):
        user_id = self.request.user.pk
        return queryset.filter(recorded_by_id=user_id) if value else queryset.exclude(
            recorded_by_id=user_id)


def visit_record(user, data: dict, key, photos=()) -> object:
    entry = VisitInput(
        client_key=key, token=data["token"], code=data["code"],
        checkpoint_id=data["checkpoint"], patrol_id=data["patrol"],
        device_time=data["device_time"], latitude=data.get("latitude"),
        longitude=data.get("longitude"), accuracy_m=data["accuracy_m"],
        situation=data["situation"], notes=data["notes"])
    return patrols.patrol_visit_record(user=user, entry=entry, photos=photos)


class PatrolVisitViewSet(ReadOnlyViewSet):
    """Checkpoint visits. Recording one needs the label's token (scan) or code (typed); a
    device offline sends them later, within 24 hours, with its own time (`device_time`)."""

    queryset = PatrolVisit.objects.select_related("checkpoint", "facility", "recorded_by")
    serializer_class = s.PatrolVisitSerializer
    filterset_class = PatrolVisitFilter
    ordering_fields = ["id", "occurred_at", "received_at"]
    ordering = ["-occurred_at", "-id"]
    pagination_class = RecordPagination  # a city's months of visits: walked by cursor
    idempotent_writes = True

    @extend_schema(request=s.PatrolVisitCreateSerializer,
                   responses=_created_or_replayed(s.PatrolVisitSerializer),
                   parameters=[RECORD_PARAMETER])
    def create(self, request):
        data = validated(s.PatrolVisitCreateSerializer, request)
        saved = visit_record(request.user, data, record_key(request, data["client_key"]))
        return _saved(s.PatrolVisitSerializer, saved)


class TooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = gettext_lazy("Too much data in one entry: send fewer or smaller photos.")


class SyncVisitsView(APIView):
    """The offline field page's queue, sent in one request: each visit is recorded on its own
    (one refused visit does not hold back the others) and answered in order with what a
    single POST /api/patrol-visits/ would have answered.

    JSON (`{"visits": [...]}`), or multipart/form-data when visits carry photos: the field
    `visits` holds the same JSON list as text and `photos.<index>` the photos of the visit at
    that index (JPEG, PNG or WebP; they are re-encoded without metadata)."""

    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request={"application/json": s.SyncRequestSerializer,
                            "multipart/form-data": s.SyncUploadSerializer},
                   responses={200: s.SyncResponseSerializer},
                   operation_id="sync_patrol_visits", tags=["sync"])
    def post(self, request):
        # Refused before the body is read: an upload never fills the disk to be refused.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > settings.RECORDS_MAX_REQUEST_BYTES:
            raise TooLarge()
        visits, photos = self._read(request)
        if not 1 <= len(visits) <= MAX_SYNC_VISITS:
            raise serializers.ValidationError(
                {"visits": [_("Send 1 to %(max)d visits at a time.") % {
                    "max": MAX_SYNC_VISITS}]}, code="invalid")
        if any(not name.startswith("photos.") or name.removeprefix("photos.") not in {
                str(i) for i in range(len(visits))} for name in photos):
            raise serializers.ValidationError(
                {"photos": [_("Name each photo field photos.<index of its visit>.")]},
                code="invalid")
        return Response({"results": [
            self._one(request, index, item, photos.getlist(f"photos.{index}"))
            for index, item in enumerate(visits)]})

    @staticmethod
    def _read(request) -> tuple[list, object]:
        """The visits (from the JSON body, or the multipart field `visits`) and the files."""
        data = request.data
        if request.content_type.startswith("multipart/"):
            try:  # DRF lists the files among the fields too
                data = {**{k: data.get(k) for k in data if k not in request.FILES},
                        "visits": json.loads(data.get("visits") or "null")}
            except ValueError:
                data = None
        visits = data.get("visits") if isinstance(data, dict) else None
        unknown = set(data) - {"visits"} if isinstance(data, dict) else set()
        if not isinstance(visits, list) or unknown:
            raise serializers.ValidationError(
                {"visits": [_("Send {\"visits\": [...]}, nothing else.")]}, code="invalid")
        return visits, request.FILES

    def _one(self, request, index: int, item, uploads: list) -> dict:
        result = {"index": index, "client_key": _raw_key(item), "result": "rejected",
                  "visit": None, "error": None}
        try:
            serializer = s.PatrolVisitCreateSerializer(data=item)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            if data["client_key"] is None:
                raise serializers.ValidationError(
                    {"client_key": [_("Each queued visit needs its client_key.")]},
                    code="required")
            result["client_key"] = str(data["client_key"])
            saved = visit_record(request.user, data, data["client_key"],
                                 photos_normalise(uploads))
        except serializers.ValidationError as error:
            return self._refused(result, 400, error)
        except DjangoValidationError as error:
            return self._refused(result, 400,
                                 exceptions.ValidationError(detail=get_error_detail(error)))
        except PermissionDenied as error:
            return self._refused(result, 403, exceptions.PermissionDenied(str(error) or None))
        result.update(result="created" if saved.created else "duplicate",
                      status=201 if saved.created else 200,
                      visit=s.PatrolVisitSerializer(saved.record).data)
        return result

    @staticmethod
    def _refused(result: dict, status: int, error: exceptions.APIException) -> dict:
        data = error.detail if status == 400 else {"detail": error.detail}
        body = error_body(status, error, data)
        result.update(status=status, error={k: v for k, v in body.items() if k != "status"})
        return result


def _raw_key(item) -> str | None:
    """The item's key even when the item is refused, so the device can match the answer."""
    try:
        return str(UUID(str(item.get("client_key")))) if isinstance(item, dict) else None
    except ValueError:
        return None


# --- warehouse checks ------------------------------------------------------------------------


class WarehouseCheckFilter(filters.FilterSet):
    facility = IdFilter(field_name="facility_id")
    has_discrepancy = filters.BooleanFilter()
    checked_after = TimeFilter(field_name="checked_at", lookup_expr="gte")
    checked_before = TimeFilter(field_name="checked_at", lookup_expr="lt")

    class Meta:
        model = WarehouseCheck
        fields: list[str] = []


class WarehouseCheckViewSet(ReadOnlyViewSet):
    """Joint warehouse checks (pengecekan bersama): recorded once, then signed by each
    pillar's representative with their own login."""

    queryset = WarehouseCheck.objects.select_related("facility", "created_by").prefetch_related(
        Prefetch("items", queryset=CheckItem.objects.order_by("pk")),
        "signatures__signer")
    serializer_class = s.WarehouseCheckSerializer
    filterset_class = WarehouseCheckFilter
    ordering_fields = ["id", "checked_at"]
    ordering = ["-checked_at", "-id"]
    idempotent_writes = True

    @extend_schema(request=s.WarehouseCheckCreateSerializer,
                   responses=_created_or_replayed(s.WarehouseCheckSerializer),
                   parameters=[RECORD_PARAMETER])
    def create(self, request):
        data = validated(s.WarehouseCheckCreateSerializer, request)
        key = record_key(request, data["client_key"])
        facility = scoped_pk(request.user, Facility.objects.all(), data["facility"],
                             field="facility", message=_("Unknown facility."))
        entry = CheckInput(
            client_key=key, items=[ItemInput(**item) for item in data["items"]],
            criteria={k: dict(v) for k, v in data["criteria"].items()},
            device_time=data["device_time"], notes=data["notes"],
            operation_id=data["operation"], amends_id=data["amends"],
            amendment_reason=data["amendment_reason"])
        saved = checks.warehouse_check_record(user=request.user, facility=facility,
                                              entry=entry)
        return Response(s.WarehouseCheckSerializer(self.get_queryset().get(
            pk=saved.record.pk)).data, status=201 if saved.created else 200)

    @extend_schema(request=s.SignSerializer, responses={200: s.WarehouseCheckSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def sign(self, request, pk=None):
        """Sign the check for one's pillar (Polri, TNI, Pemda or KPU)."""
        check = self.get_object()
        data = validated(s.SignSerializer, request)
        checks.check_sign(check=check, user=request.user, statement=data["statement"])
        return self.respond(self.get_queryset().get(pk=check.pk))


# --- incidents -------------------------------------------------------------------------------


class IncidentFilter(filters.FilterSet):
    facility = IdFilter(field_name="facility_id")
    category = filters.ChoiceFilter(choices=Category.choices)
    source = filters.ChoiceFilter(choices=Source.choices)
    occurred_after = TimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = TimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields: list[str] = []


class IncidentViewSet(ReadOnlyViewSet):
    """Incident reports (laporan kejadian) and their workflow: reported → acknowledged →
    handled → closed. The tipster's contact details of a public tip are not in the API."""

    queryset = Incident.objects.select_related("facility", "reporter", "reporter_agency") \
        .prefetch_related(Prefetch("steps", queryset=IncidentStep.objects.select_related(
            "actor").order_by("at", "id")), "amendments__amended_by")
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilter
    ordering_fields = ["id", "occurred_at", "received_at"]
    ordering = ["-occurred_at", "-id"]
    idempotent_writes = True

    @extend_schema(request=s.IncidentCreateSerializer,
                   responses=_created_or_replayed(s.IncidentSerializer),
                   parameters=[RECORD_PARAMETER])
    def create(self, request):
        """Report an incident; it raises an alert for the command center."""
        data = validated(s.IncidentCreateSerializer, request)
        key = record_key(request, data["client_key"])
        facility = scoped_pk(request.user, Facility.objects.select_related("region"),
                             data["facility"], field="facility",
                             message=_("Unknown facility."))
        entry = IncidentInput(
            client_key=key, category=data["category"], description=data["description"],
            occurred_at=data["occurred_at"], device_time=data["device_time"],
            location_detail=data["location_detail"], latitude=data.get("latitude"),
            longitude=data.get("longitude"))
        saved = incidents.incident_report(user=request.user, facility=facility, entry=entry)
        return Response(s.IncidentSerializer(self.get_queryset().get(pk=saved.record.pk)).data,
                        status=201 if saved.created else 200)

    @extend_schema(request=s.IncidentStepCreateSerializer, responses={200: s.IncidentSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def steps(self, request, pk=None):
        """Add the next workflow step (operators, Padal and commanders of the facility)."""
        incident = self.get_object()
        data = validated(s.IncidentStepCreateSerializer, request)
        incidents.incident_step(incident=incident, user=request.user, step=data["step"],
                                comment=data["comment"])
        return self.respond(self.get_queryset().get(pk=incident.pk))
