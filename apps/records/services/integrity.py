"""Walking the hash chain in the background and keeping what the walk found."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone

from apps.core.background import enqueue
from apps.records.chain import chain_verify
from apps.records.models import ChainVerification

logger = logging.getLogger(__name__)


def verification_request_now(*, user, files: bool) -> ChainVerification:
    """An administrator's request to walk the chain now: a row the background walk
    completes, queued once the row is committed."""
    verification = ChainVerification.objects.create(
        trigger=ChainVerification.Trigger.REQUEST, requested_by=user, files=files)
    transaction.on_commit(lambda: enqueue("records.verify_chain", verification.pk))
    return verification


def verification_run(*, verification_id: int | None = None, files: bool = False,
                     trigger: str = ChainVerification.Trigger.SCHEDULE) -> ChainVerification:
    """Walk the chain and store the result: into the requested row `verification_id`, or a
    new one started by `trigger`."""
    if verification_id is not None:
        verification = ChainVerification.objects.get(pk=verification_id)
    else:
        verification = ChainVerification.objects.create(trigger=trigger, files=files)
    report = chain_verify(check_files=verification.files)
    verification.finished_at = timezone.now()
    verification.entries = report.entries
    verification.head_seq, verification.head_hash = report.head.seq, report.head.entry_hash
    verification.files_checked = report.files_checked + report.segments_checked
    verification.anchors_checked = report.anchors_checked
    verification.problem_count = len(report.problems)
    verification.problems = [asdict(problem)
                             for problem in report.problems[:ChainVerification.SHOWN_PROBLEMS]]
    verification.save()
    if report.problems:
        logger.error("record chain: %d problem(s); first: %s", len(report.problems), report.first)
    return verification
