"""The hash chain that makes field records tamper-evident.

Each record, when inserted, gets a ChainEntry in the same transaction:

    content_hash = SHA-256(canonical JSON of the record's stored columns)
    entry_hash   = SHA-256("posko-chain-v1", seq, record type, record id, content_hash,
                           prev_hash, appended-at)

where `prev_hash` is the previous entry's `entry_hash` (64 zeros for the first). The content
is hashed from the row as read back from the database, so the verifier, which reads rows the
same way, compares like with like on SQLite and PostgreSQL.

Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock (no row to
UPDATE, so the application role needs no UPDATE grant anywhere in the chain), on SQLite by
the IMMEDIATE transaction mode (settings) which takes the write lock when the transaction
begins. Unique `seq` and unique `prev_hash` make a fork impossible even if that failed.

`chain_verify()` walks the chain and reports, in order, every entry whose link or hash is
wrong, every record changed or deleted, every gap (an entry deleted), every record row that
never entered the chain (inserted behind the application's back), every stored file whose
SHA-256 no longer matches (field photos, incident evidence, evidence bundles, and a bounded
share of the recorded segments on each walk), and every published anchor the chain no
longer agrees with.

A chain rewritten consistently (a record changed and every later hash recomputed with these
very functions) passes all of that; what catches it are the anchors, signed with a key that
is not in the database, and their copies outside it (apps.records.anchors): the first entry
whose hash differs from a signed copy names the record that was changed, an anchor in the
database that is not signed or differs from its copy is reported, and a head that no longer
matches a signed anchor bounds where the change lies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from apps.recordings import integrity as segment_files
from apps.records import anchors as copies
from apps.records import signing
from apps.records.chain_links import GENESIS, content_hash, entry_hash, record_type
from apps.records.models import ChainAnchor, ChainEntry, sealed_models

BATCH = 500

@dataclass(frozen=True)
class ChainHead:
    seq: int
    entry_hash: str
    at: datetime | None


def chain_head(*, at: datetime | None = None) -> ChainHead:
    """The last entry appended before `at` (now by default)."""
    entries = ChainEntry.objects.order_by("-seq")
    if at is not None:
        entries = entries.filter(created_at__lt=at)
    head = entries.values("seq", "entry_hash", "created_at").first()
    if head is None:
        return ChainHead(0, GENESIS, None)
    return ChainHead(head["seq"], head["entry_hash"], head["created_at"])


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # entry_altered, link_broken, entry_missing, record_changed, record_missing,
    #            record_unchained, file_changed, file_missing, history_rewritten,
    #            anchor_mismatch, anchor_forged, anchor_missing, anchor_rewritten,
    #            witness_invalid
    seq: int | None
    record_type: str
    record_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"#{self.seq}" if self.seq is not None else "(outside the chain)"
        what = f" {self.record_type}:{self.record_id}" if self.record_type else ""
        return f"{where}{what} {self.kind}: {self.detail}"


@dataclass
class ChainReport:
    entries: int = 0
    head: ChainHead = field(default_factory=lambda: ChainHead(0, GENESIS, None))
    problems: list[Problem] = field(default_factory=list)
    files_checked: int = 0
    segments_checked: int = 0  # recorded segment files (apps.recordings.integrity)
    segments_hashed: int = 0
    anchors_checked: int = 0
    witness_files: int = 0
    witness_entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def _batches(queryset, size: int = BATCH) -> Iterator[list[ChainEntry]]:
    """Entries in seq order, a batch at a time (keyset pagination: no OFFSET scans)."""
    last = 0
    while True:
        batch = list(queryset.filter(seq__gt=last).order_by("seq")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].seq


def _load_records(batch: Iterable[ChainEntry]) -> dict[tuple[str, int], models.Model]:
    wanted: dict[str, list[int]] = {}
    for entry in batch:
        wanted.setdefault(entry.record_type, []).append(entry.record_id)
    found: dict[tuple[str, int], models.Model] = {}
    for label, ids in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        for row in model._base_manager.filter(pk__in=ids):
            found[(label, row.pk)] = row
    return found


def _check_file(report: ChainReport, problems: list[Problem], row, file_field: str,
                seq: int | None) -> None:
    stored = getattr(row, file_field)
    report.files_checked += 1
    try:
        with stored.open("rb") as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
    except (FileNotFoundError, ValueError):
        problems.append(Problem("file_missing", seq, record_type(row), row.pk,
                                f"{stored.name} is missing"))
        return
    if digest.hexdigest() != row.sha256:
        problems.append(Problem("file_changed", seq, record_type(row), row.pk,
                                f"{stored.name} no longer matches its SHA-256"))


_FILE_FIELDS = {"records.recordphoto": "image", "records.incidentevidence": "image",
                "recordings.evidencefile": "stored"}


def _anchor_claims(report: ChainReport, found: copies.Witnesses, keys: dict[str, str],
                   by_hand: Iterable[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(seq, hash, where it comes from) of every anchor the chain must still hold: those
    given by hand, the database's that verify, and every signed copy. A database anchor
    that does not verify, or is gone or differs from its copy, is a problem of its own."""
    problems = report.problems
    claims = [(seq, digest, "--anchor") for seq, digest in by_hand]
    stored = {}
    for row in ChainAnchor.objects.order_by("day"):
        stored[row.day.isoformat()] = row
        if copies.daily_statement(row).verified(keys):
            claims.append((row.seq, row.entry_hash, f"the anchor of {row.day}"))
        else:
            why = ("its signature does not verify: written or rewritten behind the "
                   "application's back" if row.signature else
                   "it is not signed (published before anchors were signed, or its "
                   "signature was removed)")
            problems.append(Problem("anchor_forged", row.seq, "", None,
                                    f"the anchor of {row.day} in the database: {why}"))
    for where, why in found.invalid:
        problems.append(Problem("witness_invalid", None, "", None, f"{where}: {why}"))
    for anchor, where in found.anchors:
        claims.append((anchor.seq, anchor.entry_hash, where))
        if anchor.kind != copies.DAILY:
            continue
        row = stored.get(anchor.day)
        if row is None:
            problems.append(Problem("anchor_missing", anchor.seq, "", None,
                                    f"the anchor of {anchor.day} kept at {where} is gone "
                                    "from the database"))
        elif (row.seq, row.entry_hash) != (anchor.seq, anchor.entry_hash):
            problems.append(Problem("anchor_rewritten", row.seq, "", None,
                                    f"the anchor of {anchor.day} differs from its signed copy "
                                    f"at {where}"))
    return claims


def chain_verify(*, check_files: bool = True, anchors: Iterable[tuple[int, str]] = (),
                 witnesses: Iterable[Path] = (), public_keys: Iterable[str] = (),
                 witness_dir: bool = True,
                 segments: int = segment_files.SEGMENTS_PER_WALK) -> ChainReport:
    """Walk the whole chain; see the module docstring for what is reported. `anchors` are
    heads given by hand (SEQ, HASH); `witnesses` are copies kept outside the database
    (apps.records.anchors) beside the configured witness directory (unless `witness_dir`
    is false); `public_keys` verify anchors signed by keys no longer configured. With
    `check_files`, up to `segments` recorded segment files are checked too (the ones
    checked longest ago: apps.recordings.integrity); without, the segment files earlier
    walks found wrong are reported again, unread."""
    report = ChainReport()
    problems = report.problems
    keys = signing.verifying_keys(tuple(public_keys))
    folder = copies.witness_dir() if witness_dir else None
    found = copies.witness_load(
        ([folder] if folder is not None and folder.exists() else []) + list(witnesses), keys)
    report.witness_files, report.witness_entries = found.files, len(found.entries)
    anchor_problems = ChainReport()
    claims = _anchor_claims(anchor_problems, found, keys, anchors)
    claimed = {seq for seq, _digest, _where in claims}
    expected_seq, prev = 1, GENESIS
    chained: dict[str, set[int]] = {}
    hashes: dict[int, str] = {}
    rewritten = False
    last = None
    for batch in _batches(ChainEntry.objects.all()):
        records = _load_records(batch)
        for entry in batch:
            report.entries += 1
            copy = found.entries.get(entry.seq)
            if copy is not None and copy.entry_hash != entry.entry_hash and not rewritten:
                # Every later hash differs too once one does: the first names the record.
                rewritten = True
                problems.append(Problem("history_rewritten", entry.seq, copy.record_type,
                                        copy.record_id,
                                        f"the chain differs from its signed copy at "
                                        f"{copy.source} from this record on"))
            if entry.seq != expected_seq:
                missing = (f"#{expected_seq}" if entry.seq == expected_seq + 1
                           else f"#{expected_seq}–#{entry.seq - 1}")
                problems.append(Problem("entry_missing", entry.seq, entry.record_type,
                                        entry.record_id,
                                        f"entries {missing} before this one were removed"))
            elif entry.prev_hash != prev:
                problems.append(Problem("link_broken", entry.seq, entry.record_type,
                                        entry.record_id,
                                        "does not follow the previous entry"))
            recomputed = entry_hash(
                seq=entry.seq, record_type=entry.record_type, record_id=entry.record_id,
                content_hash=entry.content_hash, prev_hash=entry.prev_hash,
                created_at=entry.created_at)
            if recomputed != entry.entry_hash:
                problems.append(Problem("entry_altered", entry.seq, entry.record_type,
                                        entry.record_id, "the chain entry itself was edited"))
            row = records.get((entry.record_type, entry.record_id))
            if row is None:
                problems.append(Problem("record_missing", entry.seq, entry.record_type,
                                        entry.record_id, "the record was deleted"))
            else:
                if content_hash(row) != entry.content_hash:
                    problems.append(Problem("record_changed", entry.seq, entry.record_type,
                                            entry.record_id,
                                            "the record differs from what was appended"))
                if check_files and entry.record_type in _FILE_FIELDS:
                    _check_file(report, problems, row, _FILE_FIELDS[entry.record_type],
                                entry.seq)
            if entry.seq in claimed:
                hashes[entry.seq] = entry.entry_hash
            chained.setdefault(entry.record_type, set()).add(entry.record_id)
            expected_seq, prev, last = entry.seq + 1, entry.entry_hash, entry
    if last is not None:
        report.head = ChainHead(last.seq, last.entry_hash, last.created_at)
    beyond = [seq for seq in found.entries if seq > report.head.seq]
    if beyond:
        copy = found.entries[min(beyond)]
        problems.append(Problem("entry_missing", min(beyond), copy.record_type, copy.record_id,
                                f"the chain ends at #{report.head.seq}; its signed copy at "
                                f"{copy.source} goes on to #{max(beyond)}"))

    for model in sealed_models():
        label = record_type(model)
        known = chained.get(label, set())
        for pk in model._base_manager.order_by("pk").values_list("pk", flat=True).iterator():
            if pk not in known:
                problems.append(Problem("record_unchained", None, label, pk,
                                        "a record that never entered the chain"))

    if segments:
        if check_files:
            checked = segment_files.segments_check(limit=segments)
            report.segments_checked, report.segments_hashed = checked.sized, checked.hashed
            wrong = checked.problems or []
        else:  # no file is read: what earlier checks found still stands
            wrong = segment_files.segments_found_wrong(limit=segments)
        for found in wrong:
            problems.append(Problem(
                "file_missing" if found.problem == segment_files.MISSING else "file_changed",
                None, "recordings.recordingsegment", found.segment_id, found.detail))

    problems.extend(anchor_problems.problems)
    held = {seq for seq, digest, _where in claims if seq == 0 or hashes.get(seq) == digest}
    for seq, digest, where in sorted(set(claims)):
        report.anchors_checked += 1
        if seq in held and hashes.get(seq, GENESIS) == digest:
            continue
        since = max((s for s in held if s < seq), default=0)
        problems.append(Problem("anchor_mismatch", seq, "", None,
                                f"the chain no longer matches the head {digest[:16]}… signed "
                                f"at {where}: history was rewritten, the first changed "
                                f"record lies between #{since + 1} and #{seq}"))
    return report


@transaction.atomic
def anchor_publish(*, day: date, day_end: datetime) -> ChainAnchor:
    """Record the chain head at the end of `day`, signed, and copy it to the witness
    directory (idempotent: once per day)."""
    existing = ChainAnchor.objects.filter(day=day).first()
    if existing is not None:
        return existing
    head = chain_head(at=day_end)
    published_at = timezone.now()
    statement = copies.sign_anchor(kind=copies.DAILY, day=day.isoformat(), seq=head.seq,
                                    entry_hash=head.entry_hash, at=published_at)
    anchor = ChainAnchor(day=day, seq=head.seq, entry_hash=head.entry_hash,
                         published_at=published_at, key_id=statement.key_id,
                         signature=statement.signature)
    anchor.save()
    # Now, not on commit: the head at the end of a day is fixed, so a copy of an anchor
    # whose transaction then failed says the same as the one published on the next run.
    copies.witness_daily(statement)
    return anchor
