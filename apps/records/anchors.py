"""Signed anchors of the records chain, and their copies outside the database (witnesses).

An anchor says "the chain's entry #seq had hash H at time T", signed with the anchor key
(apps.records.signing), which is not in the database. Two kinds:

- daily: the head at the end of each day (ChainAnchor), printed on the daily report, sent
  with every webhook payload, and appended to `<ANCHOR_WITNESS_DIR>/anchors.jsonl`;
- checkpoint: every run of the periodic task (hourly) copies the chain entries appended since
  the last checkpoint, with a signed anchor of the last one, into
  `<ANCHOR_WITNESS_DIR>/chain/<seq>.jsonl` (written whole, then renamed: never half a file).

Whoever rewrites the database and recomputes every hash cannot sign the new heads, and the
copies are not where they write: `verify_records` checks the chain against every copy, and a
checkpoint's entries name the first record whose hash differs. Put the witness directory on
storage another machine or agency keeps (a mount, or copy it out with rsync daily).

Copy format, one JSON object a line: an anchor `{"kind", "day", "seq", "entry_hash", "at",
"key_id", "signature"}`; a chain entry `{"entry": [seq, record type, record id, content hash,
previous hash, appended at, entry hash]}`; a checkpoint file ends with `{"checkpoint":
<anchor>}`. Receivers of webhooks may keep the `chain_anchor` of each payload as such lines
and pass the file to `verify_records --witness`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.records import signing
from apps.records.chain_links import GENESIS, entry_hash
from apps.records.models import ChainAnchor, ChainEntry

logger = logging.getLogger(__name__)

ANCHOR_VERSION = "posko-anchor-v1"
ANCHORS_FILE = "anchors.jsonl"
CHECKPOINTS_DIR = "chain"
DAILY, CHECKPOINT = "daily", "checkpoint"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class SignedAnchor:
    kind: str
    day: str  # the ISO date of a daily anchor, "" for a checkpoint
    seq: int
    entry_hash: str
    at: str  # ISO time in UTC
    key_id: str
    signature: str

    def message(self) -> bytes:
        return "\n".join([ANCHOR_VERSION, self.kind, self.day, str(self.seq), self.entry_hash,
                          self.at]).encode()

    def verified(self, keys: dict[str, str]) -> bool:
        return signing.verify(self.message(), signing.Signature(self.key_id, self.signature),
                              keys)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SignedAnchor:
        try:
            anchor = cls(kind=str(data["kind"]), day=str(data.get("day") or ""),
                         seq=int(data["seq"]), entry_hash=str(data["entry_hash"]),
                         at=str(data["at"]), key_id=str(data["key_id"]),
                         signature=str(data["signature"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an anchor: {exc}") from None
        if anchor.kind not in (DAILY, CHECKPOINT):
            raise ValueError(f"unknown anchor kind {anchor.kind!r}")
        return anchor


def sign_anchor(*, kind: str, day: str, seq: int, entry_hash: str,
                at: datetime) -> SignedAnchor:
    unsigned = SignedAnchor(kind, day, seq, entry_hash, _utc(at), "", "")
    signature = signing.sign(unsigned.message())
    return SignedAnchor(kind, day, seq, entry_hash, unsigned.at, signature.key_id,
                        signature.value)


def daily_statement(anchor: ChainAnchor) -> SignedAnchor:
    """What a ChainAnchor row says, with the signature stored beside it."""
    return SignedAnchor(DAILY, anchor.day.isoformat(), anchor.seq, anchor.entry_hash,
                        _utc(anchor.published_at), anchor.key_id, anchor.signature)


def witness_copy(anchor: ChainAnchor | None) -> dict | None:
    """The signed daily anchor as witnesses keep it (webhook payloads, the daily report)."""
    return daily_statement(anchor).as_dict() if anchor is not None else None


def latest_witness_copy() -> dict | None:
    return witness_copy(ChainAnchor.objects.order_by("-day").first())


# --- writing the copies ------------------------------------------------------------------------


def witness_dir() -> Path | None:
    return Path(settings.ANCHOR_WITNESS_DIR) if settings.ANCHOR_WITNESS_DIR else None


def _fsync_dir(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def witness_daily(statement: SignedAnchor) -> None:
    """Append a daily anchor to the witness log (a failed copy is logged, never fatal: the
    anchor is in the database and on the report, and the next run copies it again)."""
    folder = witness_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ANCHORS_FILE, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(statement.as_dict(), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        logger.exception("anchor of %s not copied to the witness directory %s",
                         statement.day, folder)


def _entry_line(entry: ChainEntry) -> dict:
    return {"entry": [entry.seq, entry.record_type, entry.record_id, entry.content_hash,
                      entry.prev_hash, _utc(entry.created_at), entry.entry_hash]}


def last_checkpoint(folder: Path) -> tuple[int, str | None]:
    """The seq of the last checkpoint file and the head hash it signed."""
    files = sorted((folder / CHECKPOINTS_DIR).glob("*.jsonl"))
    if not files:
        return 0, None
    with open(files[-1], "rb") as handle:  # only its end: the signed head is the last line
        handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
        last_line = handle.read().decode().rstrip("\n").rsplit("\n", 1)[-1]
    anchor = SignedAnchor.from_dict(json.loads(last_line)["checkpoint"])
    return anchor.seq, anchor.entry_hash


def witness_checkpoint(*, now: datetime | None = None) -> SignedAnchor | None:
    """Copy the entries appended since the last checkpoint, and a signed anchor of the head,
    to the witness directory. Refuses (logs an error, writes nothing) when the new entries do
    not continue the last checkpoint: a witness must never certify a rewritten chain."""
    folder = witness_dir()
    if folder is None:
        return None
    (folder / CHECKPOINTS_DIR).mkdir(parents=True, exist_ok=True)
    with open(folder / ".checkpoint.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        last_seq, prev = last_checkpoint(folder)
        prev = prev or (GENESIS if last_seq == 0 else None)
        partial = folder / CHECKPOINTS_DIR / "next.partial"
        head = None
        with open(partial, "w", encoding="utf-8") as handle:
            # Streamed: the first checkpoint of a long-running portal copies the whole chain.
            for entry in ChainEntry.objects.filter(seq__gt=last_seq).order_by("seq").iterator():
                recomputed = entry_hash(seq=entry.seq, record_type=entry.record_type,
                                        record_id=entry.record_id,
                                        content_hash=entry.content_hash,
                                        prev_hash=entry.prev_hash, created_at=entry.created_at)
                if entry.seq != last_seq + 1 or prev not in (None, entry.prev_hash) or \
                        recomputed != entry.entry_hash:
                    logger.error("records chain does not continue the witness copy at #%s: "
                                 "checkpoint refused, run verify_records", entry.seq)
                    head = None
                    break
                handle.write(json.dumps(_entry_line(entry), sort_keys=True) + "\n")
                last_seq, prev, head = entry.seq, entry.entry_hash, entry
            if head is not None:
                statement = sign_anchor(kind=CHECKPOINT, day="", seq=head.seq,
                                        entry_hash=head.entry_hash, at=now or timezone.now())
                handle.write(json.dumps({"checkpoint": statement.as_dict()},
                                        sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        if head is None:
            partial.unlink()
            return None
        final = folder / CHECKPOINTS_DIR / f"{head.seq:012d}.jsonl"
        os.replace(partial, final)
        _fsync_dir(final.parent)
    return statement


# --- reading the copies ------------------------------------------------------------------------


@dataclass(frozen=True)
class WitnessedEntry:
    record_type: str
    record_id: int
    entry_hash: str
    source: str


@dataclass
class Witnesses:
    entries: dict[int, WitnessedEntry] = field(default_factory=dict)
    anchors: list[tuple[SignedAnchor, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (source, why)
    files: int = 0


def _witness_files(path: Path) -> list[Path]:
    if path.is_dir():
        return ([path / ANCHORS_FILE] if (path / ANCHORS_FILE).exists() else []) + sorted(
            (path / CHECKPOINTS_DIR).glob("*.jsonl"))
    return [path]


def _check_segment(rows: list[list], checkpoint: SignedAnchor, previous: dict[int, str]) -> str:
    """Why a checkpoint's entries are not the chain its signed head says, or ""."""
    prev_seq = None
    for seq, label, record_id, content, prev, created, digest in rows:
        if prev_seq is not None and seq != prev_seq + 1:
            return f"entry #{seq} does not follow #{prev_seq}"
        expected_prev = GENESIS if seq == 1 else previous.get(seq - 1, prev)
        if prev != expected_prev:
            return f"entry #{seq} does not follow the previous copy"
        moment = parse_datetime(created)
        if moment is None or entry_hash(seq=seq, record_type=label, record_id=record_id,
                                        content_hash=content, prev_hash=prev,
                                        created_at=moment) != digest:
            return f"entry #{seq} does not match its own hash"
        previous[seq] = digest
        prev_seq = seq
    if not rows or (rows[-1][0], rows[-1][6]) != (checkpoint.seq, checkpoint.entry_hash):
        return "the entries do not end at the signed head"
    return ""


def witness_load(paths: list[Path], keys: dict[str, str]) -> Witnesses:
    """Every copy under `paths` (witness directories or files), signatures and the hashes
    of checkpoint entries checked; what fails is listed in `invalid`, not used."""
    found = Witnesses()
    hashes: dict[int, str] = {}
    for path in paths:
        for file in _witness_files(path):
            found.files += 1
            source = str(file)
            rows: list[list] = []
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                found.invalid.append((source, f"unreadable ({exc.strerror})"))
                continue
            for number, line in enumerate(lines, 1):
                where = f"{source}:{number}"
                try:
                    data = json.loads(line) if line.strip() else None
                    if data is None:
                        continue
                    if "entry" in data:
                        rows.append(list(data["entry"]))
                        continue
                    anchor = SignedAnchor.from_dict(data.get("checkpoint", data))
                except (ValueError, TypeError, AttributeError) as exc:
                    found.invalid.append((where, f"unreadable line ({exc})"))
                    rows = []
                    continue
                if not anchor.verified(keys):
                    found.invalid.append((where, "the signature does not verify"))
                    rows = []
                    continue
                if "checkpoint" in data:
                    why = _check_segment(rows, anchor, hashes)
                    if why:
                        found.invalid.append((where, why))
                    else:
                        for seq, label, record_id, _c, _p, _t, digest in rows:
                            found.entries.setdefault(
                                seq, WitnessedEntry(label, record_id, digest, source))
                    rows = []
                found.anchors.append((anchor, where))
    return found
