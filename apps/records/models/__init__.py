from apps.records.models.attachments import Amendment, RecordPhoto
from apps.records.models.chain import ChainAnchor, ChainEntry, ChainVerification
from apps.records.models.checks import (
    CheckItem,
    CheckSignature,
    Criterion,
    ItemKind,
    SignerPillar,
    WarehouseCheck,
)
from apps.records.models.incidents import (
    WORKFLOW,
    Category,
    EvidenceSource,
    Incident,
    IncidentAlertLink,
    IncidentEvidence,
    IncidentStep,
    Source,
    Step,
)
from apps.records.models.patrols import (
    Checkpoint,
    Patrol,
    PatrolEnd,
    PatrolMember,
    PatrolMode,
    PatrolVisit,
    Situation,
    VisitMethod,
)
from apps.records.models.sealed import SealedModel, SealedRecordError

__all__ = [
    "WORKFLOW",
    "Amendment",
    "Category",
    "ChainAnchor",
    "ChainEntry",
    "ChainVerification",
    "CheckItem",
    "CheckSignature",
    "Checkpoint",
    "Criterion",
    "EvidenceSource",
    "Incident",
    "IncidentAlertLink",
    "IncidentEvidence",
    "IncidentStep",
    "ItemKind",
    "Patrol",
    "PatrolEnd",
    "PatrolMember",
    "PatrolMode",
    "PatrolVisit",
    "RecordPhoto",
    "SealedModel",
    "SealedRecordError",
    "SignerPillar",
    "Situation",
    "Source",
    "Step",
    "VisitMethod",
    "WarehouseCheck",
]


def sealed_models() -> list[type[SealedModel]]:
    """Every append-only model that joins the chain, of any app (the verifier walks these;
    apps.recordings' evidence exports are records too)."""
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, SealedModel) and m.chained]
