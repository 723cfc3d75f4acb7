"""`python manage.py verify_records`: walk the field records' hash chain.

Exit status 0 when intact, 1 when anything was changed, deleted or inserted behind the
application's back (the first problem is printed first). The chain is checked against the
signed anchors and their copies outside the database: the witness directory
(ANCHOR_WITNESS_DIR), `--witness FILE_OR_DIR` (repeatable: a copy kept elsewhere, e.g. the
anchors a webhook receiver saved), and `--anchor SEQ:HASH` (repeatable: a head read off a
printed daily report). A witness on another machine verifies with `--public-key` alone
(`--print-public-key` on the portal's machine prints it). Evidence bundles' files are
re-hashed with the other stored files, and `--segments N` recorded segment files (those
checked longest ago; apps.recordings.integrity) are checked for existence, size and SHA-256."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.recordings.integrity import SEGMENTS_PER_WALK
from apps.records import signing
from apps.records.chain import chain_verify


def _anchor(text: str) -> tuple[int, str]:
    seq, _sep, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise CommandError(f"--anchor wants SEQ:SHA256, got {text!r}")
    return int(seq), digest.lower()


def _witness(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise CommandError(f"--witness: {text} does not exist")
    return path


class Command(BaseCommand):
    help = "Verify the hash chain of field records (patrols, checks, incidents)."

    def add_arguments(self, parser):
        parser.add_argument("--anchor", action="append", default=[], type=_anchor,
                            help="a published chain head SEQ:SHA256 the chain must still hold")
        parser.add_argument("--witness", action="append", default=[], type=_witness,
                            help="a copy of signed anchors or checkpoints kept outside the "
                                 "database (a witness directory or a .jsonl file)")
        parser.add_argument("--public-key", action="append", default=[],
                            help="an anchor public key (e.g. of a retired signing key); write "
                                 "--public-key=KEY, as a key may begin with -")
        parser.add_argument("--no-witness-dir", action="store_true",
                            help="do not read ANCHOR_WITNESS_DIR")
        parser.add_argument("--print-public-key", action="store_true",
                            help="print the public key of the current anchor key and stop")
        parser.add_argument("--no-files", action="store_true",
                            help="skip re-hashing stored photos and evidence files")
        parser.add_argument("--segments", type=int, default=SEGMENTS_PER_WALK,
                            help="recorded segment files to check, those checked longest ago "
                                 f"first (default {SEGMENTS_PER_WALK}; 0: none)")
        parser.add_argument("--limit", type=int, default=50,
                            help="problems to print (default 50)")

    def handle(self, *args, anchor, witness, public_key, no_witness_dir, print_public_key,
               no_files, segments, limit, **options):
        if print_public_key:
            public = signing.public_key_of(settings.ANCHOR_SIGNING_KEYS[0])
            self.stdout.write(f"{public} (key id {signing.key_id(public)})")
            return
        report = chain_verify(check_files=not no_files, anchors=anchor, witnesses=witness,
                              public_keys=public_key, witness_dir=not no_witness_dir,
                              segments=segments)
        head = report.head
        self.stdout.write(f"entries: {report.entries}; head: #{head.seq} {head.entry_hash}")
        self.stdout.write(f"recorded segments checked: {report.segments_checked} "
                          f"({report.segments_hashed} re-hashed)")
        self.stdout.write(f"files checked: {report.files_checked}; "
                          f"anchors checked: {report.anchors_checked}; witness copies: "
                          f"{report.witness_files} files, {report.witness_entries} entries")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("chain intact"))
            return
        self.stdout.write(self.style.ERROR(f"{len(report.problems)} problem(s); first: "
                                           f"{report.first}"))
        for problem in report.problems[:limit]:
            self.stdout.write(f"  {problem}")
        raise SystemExit(1)
