"""`python manage.py verify_records`: walk the field records' hash chain.

Exit status 0 when intact, 1 when anything was changed, deleted or inserted behind the
application's back (the first problem is printed first). `--anchor SEQ:HASH` (repeatable)
checks the chain against heads published earlier, e.g. from a printed daily report."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.records.chain import chain_verify


def _anchor(text: str) -> tuple[int, str]:
    seq, _sep, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise CommandError(f"--anchor wants SEQ:SHA256, got {text!r}")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "Verify the hash chain of field records (patrols, checks, incidents)."

    def add_arguments(self, parser):
        parser.add_argument("--anchor", action="append", default=[], type=_anchor,
                            help="a published chain head SEQ:SHA256 the chain must still hold")
        parser.add_argument("--no-files", action="store_true",
                            help="skip re-hashing stored photos and evidence files")
        parser.add_argument("--limit", type=int, default=50,
                            help="problems to print (default 50)")

    def handle(self, *args, anchor, no_files, limit, **options):
        report = chain_verify(check_files=not no_files, anchors=anchor)
        head = report.head
        self.stdout.write(f"entries: {report.entries}; head: #{head.seq} {head.entry_hash}")
        self.stdout.write(f"files checked: {report.files_checked}; "
                          f"anchors checked: {report.anchors_checked}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("chain intact"))
            return
        self.stdout.write(self.style.ERROR(f"{len(report.problems)} problem(s); first: "
                                           f"{report.first}"))
        for problem in report.problems[:limit]:
            self.stdout.write(f"  {problem}")
        raise SystemExit(1)
