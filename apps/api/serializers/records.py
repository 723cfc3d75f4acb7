"""Field records (apps.records): checkpoints, patrols and visits, warehouse checks,
incidents. Records are append-only: an API client adds them, and adds the next step (an
ending, a signature, a workflow step), but never changes one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers.base import (
    AwareDateTimeField,
    CoordinateField,
    ModelSerializer,
    NameField,
    Serializer,
)
from apps.org.models import Agency
from apps.records.models import (
    Category,
    CheckItem,
    Checkpoint,
    CheckSignature,
    Criterion,
    Incident,
    IncidentStep,
    ItemKind,
    Patrol,
    PatrolMember,
    PatrolMode,
    PatrolVisit,
    Situation,
    Step,
    WarehouseCheck,
)
from apps.records.services import checks as check_services
from apps.records.services import incidents as incident_services


class CheckpointSerializer(ModelSerializer):
    """A checkpoint's name and place; never its label token or short code (the label on site
    is the proof of presence)."""

    facility_name = NameField("facility")
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Checkpoint
        fields = ["id", "facility", "facility_name", "name", "description", "latitude",
                  "longitude", "active"]
        read_only_fields = fields


# --- patrols and visits ----------------------------------------------------------------------


class PatrolMemberSerializer(ModelSerializer):
    class Meta:
        model = PatrolMember
        fields = ["name", "person", "is_leader"]
        read_only_fields = fields


class PatrolSerializer(ModelSerializer):
    leader_name = NameField("leader")
    agency_name = NameField("agency")
    members = PatrolMemberSerializer(many=True, read_only=True)
    ended_at = serializers.SerializerMethodField()
    planned_checkpoints = serializers.ListField(child=serializers.IntegerField(),
                                                read_only=True)
    pillars = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Patrol
        fields = ["id", "client_key", "team_name", "leader", "leader_name", "agency",
                  "agency_name", "operation", "mode", "pillars", "planned_checkpoints",
                  "started_at", "device_time", "received_at", "note", "members", "ended_at"]
        read_only_fields = fields

    @extend_schema_field(AwareDateTimeField(allow_null=True))
    def get_ended_at(self, patrol):
        ending = getattr(patrol, "ending", None)
        return AwareDateTimeField().to_representation(ending.ended_at) if ending else None


class PatrolStartSerializer(Serializer):
    client_key = serializers.UUIDField(required=False, allow_null=True, default=None)
    team_name = serializers.CharField(max_length=120)
    mode = serializers.ChoiceField(choices=PatrolMode.choices)
    member_names = serializers.ListField(child=serializers.CharField(max_length=120),
                                         max_length=30, required=False, default=list)
    pillars = serializers.ListField(
        child=serializers.ChoiceField(choices=[
            value for value, _label in Agency.Pillar.choices
            if value in Agency.SECURITY_PILLARS]), max_length=3,
        required=False, default=list)
    planned_checkpoints = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                                max_length=100, required=False, default=list)
    operation = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                         default=None)
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PatrolEndSerializer(Serializer):
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PatrolVisitSerializer(ModelSerializer):
    checkpoint_name = serializers.CharField(source="checkpoint.name", read_only=True)
    facility_name = NameField("facility")
    recorded_by_name = NameField("recorded_by")
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = PatrolVisit
        fields = ["id", "client_key", "checkpoint", "checkpoint_name", "facility",
                  "facility_name", "patrol", "recorded_by", "recorded_by_name", "method",
                  "occurred_at", "device_time", "received_at", "delayed", "latitude",
                  "longitude", "accuracy_m", "situation", "notes"]
        read_only_fields = fields


class PatrolVisitCreateSerializer(Serializer):
    """A scan (`token`: the label's token or its whole URL) or a typed `code`."""

    client_key = serializers.UUIDField(required=False, allow_null=True, default=None)
    token = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")
    code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    checkpoint = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                          default=None,
                                          help_text="The checkpoint the device believes it "
                                                    "scanned; must agree with the label.")
    patrol = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                      default=None)
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None)
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    accuracy_m = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                          allow_null=True, default=None)
    situation = serializers.ChoiceField(choices=Situation.choices, required=False,
                                        default=Situation.SAFE)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                  default="")


class SyncRequestSerializer(Serializer):
    visits = PatrolVisitCreateSerializer(many=True)


class SyncUploadSerializer(Serializer):
    visits = serializers.CharField(help_text="The JSON list of visits, as text.")
    photos = serializers.ListField(
        child=serializers.FileField(), required=False,
        help_text="Send each visit's photos as `photos.<index>` (the visit's place in the "
                  "list), up to four a visit.")


class SyncErrorSerializer(Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   required=False)


class SyncResultSerializer(Serializer):
    index = serializers.IntegerField()
    client_key = serializers.UUIDField(allow_null=True)
    result = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    status = serializers.IntegerField(help_text="What a single POST would have answered.")
    visit = PatrolVisitSerializer(allow_null=True)
    error = SyncErrorSerializer(allow_null=True)


class SyncResponseSerializer(Serializer):
    results = SyncResultSerializer(many=True)


# --- warehouse checks ------------------------------------------------------------------------


class CheckItemSerializer(ModelSerializer):
    class Meta:
        model = CheckItem
        fields = ["kind", "description", "expected_qty", "counted_qty", "seal_numbers",
                  "seal_intact", "note"]
        read_only_fields = fields


class CheckSignatureSerializer(ModelSerializer):
    signer_name = NameField("signer")
    valid = serializers.SerializerMethodField()

    class Meta:
        model = CheckSignature
        fields = ["pillar", "signer", "signer_name", "signed_at", "statement", "valid"]
        read_only_fields = fields

    def get_valid(self, signature) -> bool:
        """Signed over the content as it is stored now."""
        return signature.content_hash == self.context.get("content_hash")


class WarehouseCheckSerializer(ModelSerializer):
    facility_name = NameField("facility")
    created_by_name = NameField("created_by")
    items = CheckItemSerializer(many=True, read_only=True)
    signatures = serializers.SerializerMethodField()
    complete = serializers.SerializerMethodField()
    criteria = serializers.DictField(read_only=True)
    required_pillars = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WarehouseCheck
        fields = ["id", "client_key", "facility", "facility_name", "operation", "created_by",
                  "created_by_name", "checked_at", "device_time", "received_at", "delayed",
                  "criteria", "required_pillars", "has_discrepancy", "notes", "amends",
                  "amendment_reason", "items", "signatures", "complete"]
        read_only_fields = fields

    @extend_schema_field(CheckSignatureSerializer(many=True))
    def get_signatures(self, check):
        content_hash = check_services.signed_content_hash(check)
        return CheckSignatureSerializer(check.signatures.all(), many=True,
                                        context={"content_hash": content_hash}).data

    def get_complete(self, check) -> bool:
        return check_services.check_is_complete(check, list(check.signatures.all()))


class CheckItemInputSerializer(Serializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    expected_qty = serializers.IntegerField(min_value=0, max_value=10_000_000)
    counted_qty = serializers.IntegerField(min_value=0, max_value=10_000_000)
    description = serializers.CharField(max_length=160, required=False, allow_blank=True,
                                        default="")
    seal_numbers = serializers.CharField(max_length=255, required=False, allow_blank=True,
                                         default="")
    seal_intact = serializers.BooleanField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CriterionInputSerializer(Serializer):
    ok = serializers.BooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WarehouseCheckCreateSerializer(Serializer):
    client_key = serializers.UUIDField(required=False, allow_null=True, default=None)
    facility = serializers.IntegerField(min_value=1)
    items = CheckItemInputSerializer(many=True, min_length=1, max_length=50)
    criteria = serializers.DictField(child=CriterionInputSerializer(), required=False,
                                     default=dict,
                                     help_text="By criterion: " + ", ".join(Criterion.values))
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                  default="")
    operation = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                         default=None)
    amends = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                      default=None, help_text="The check this one corrects.")
    amendment_reason = serializers.CharField(max_length=300, required=False,
                                             allow_blank=True, default="")

    def validate_criteria(self, value):
        unknown = sorted(set(value) - set(Criterion.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown criteria: {', '.join(unknown)}")
        return value


class SignSerializer(Serializer):
    statement = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                      default="")


# --- incidents -------------------------------------------------------------------------------


class IncidentStepSerializer(ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = IncidentStep
        fields = ["step", "actor", "actor_name", "at", "comment"]
        read_only_fields = fields

    def get_actor_name(self, step) -> str | None:
        return str(step.actor) if step.actor_id else None


class AmendmentSerializer(Serializer):
    changes = serializers.DictField(child=serializers.CharField())
    reason = serializers.CharField()
    amended_by_name = NameField("amended_by")
    amended_at = AwareDateTimeField()


class IncidentSerializer(ModelSerializer):
    facility_name = NameField("facility")
    reporter_name = serializers.SerializerMethodField()
    reporter_agency_name = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    steps = IncidentStepSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = ["id", "client_key", "facility", "facility_name", "category", "source",
                  "state", "occurred_at", "device_time", "received_at", "delayed",
                  "description", "location_detail", "latitude", "longitude", "reporter",
                  "reporter_name", "reporter_agency_name", "steps", "amendments"]
        read_only_fields = fields

    def get_reporter_name(self, incident) -> str | None:
        return str(incident.reporter) if incident.reporter_id else None

    def get_reporter_agency_name(self, incident) -> str | None:
        return str(incident.reporter_agency) if incident.reporter_agency_id else None

    @extend_schema_field(serializers.ChoiceField(choices=Step.choices))
    def get_state(self, incident):
        return incident_services.incident_state(list(incident.steps.all()))


class IncidentCreateSerializer(Serializer):
    client_key = serializers.UUIDField(required=False, allow_null=True, default=None)
    facility = serializers.IntegerField(min_value=1)
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(max_length=4000)
    occurred_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    device_time = AwareDateTimeField(required=False, allow_null=True, default=None)
    location_detail = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                            default="")
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)


class IncidentStepCreateSerializer(Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                    default="")
