"""History provable without trusting the database (T-REC-4, consistent rewrites).

The intruder changes a visit by SQL and recomputes every later hash with the project's own
functions, so the chain is internally consistent again; they may rewrite the anchors in the
database the same way. What still catches it: anchors signed with a key that is not in the
database, and their copies outside it (the witness directory, a file a receiver kept, a
head read off the printed report)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.records import anchors, chain, chain_links, signing
from apps.records.models import ChainAnchor, ChainEntry, PatrolVisit
from tests.records.tampering import tamper
from tests.records.test_integrity import entry_of, make_visits


def rewrite_visit(visit: PatrolVisit, notes: str) -> None:
    """Change the visit and recompute every later hash, as a careful intruder would."""
    tamper("UPDATE records_patrolvisit SET notes = %s WHERE id = %s", [notes, visit.pk])
    rewritten, prev = [], chain_links.GENESIS
    for entry in ChainEntry.objects.order_by("seq"):
        content = entry.content_hash
        if entry.record_type == "records.patrolvisit":
            content = chain_links.content_hash(PatrolVisit.objects.get(pk=entry.record_id))
        digest = chain_links.entry_hash(seq=entry.seq, record_type=entry.record_type,
                                  record_id=entry.record_id, content_hash=content,
                                  prev_hash=prev, created_at=entry.created_at)
        rewritten.append((entry.seq, content, prev, digest))
        prev = digest
    # Hashes are unique columns: park them first.
    tamper("UPDATE records_chainentry SET entry_hash = LPAD(CAST(seq AS TEXT), 64, 'e'), "
           "prev_hash = LPAD(CAST(seq AS TEXT), 64, 'p')")
    for seq, content, prev, digest in rewritten:
        tamper("UPDATE records_chainentry SET content_hash = %s, prev_hash = %s, "
               "entry_hash = %s WHERE seq = %s", [content, prev, digest, seq])


def rewrite_anchors() -> None:
    """Point every anchor in the database at the rewritten chain (its signature stays)."""
    for anchor in ChainAnchor.objects.all():
        head = ChainEntry.objects.get(seq=anchor.seq)
        tamper("UPDATE records_chainanchor SET entry_hash = %s WHERE id = %s",
               [head.entry_hash, anchor.pk])


def publish_today() -> ChainAnchor:
    return chain.anchor_publish(day=timezone.localdate(),
                                day_end=timezone.now() + timezone.timedelta(seconds=1))


def kinds(report) -> list[str]:
    return [p.kind for p in report.problems]


def test_the_walk_alone_cannot_see_a_consistent_rewrite(world, points):
    """Why the rest of this file exists: without anchors the rewritten chain is intact."""
    visits = make_visits(world, points, 3)
    rewrite_visit(visits[1], "palsu")
    assert chain.chain_verify(witness_dir=False).ok


def test_the_witness_copy_names_the_first_record_rewritten(world, points):
    visits = make_visits(world, points, 5)
    assert anchors.witness_checkpoint() is not None
    assert chain.chain_verify().ok
    rewrite_visit(visits[2], "palsu")
    report = chain.chain_verify()
    first = report.first
    assert (first.kind, first.seq, first.record_type, first.record_id) == (
        "history_rewritten", entry_of(visits[2]).seq, "records.patrolvisit", visits[2].pk)
    assert kinds(report).count("history_rewritten") == 1
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_records", stdout=out)
    seq = entry_of(visits[2]).seq
    assert f"first: #{seq} records.patrolvisit:{visits[2].pk} history_rewritten" in \
        out.getvalue()


def test_anchors_rewritten_in_the_database_do_not_verify(world, points):
    visits = make_visits(world, points, 3)
    anchor = publish_today()
    assert anchor.signature and chain.chain_verify().ok
    rewrite_visit(visits[0], "palsu")
    rewrite_anchors()
    # Even with no copy outside the database: the key that signs is not in it.
    alone = chain.chain_verify(witness_dir=False)
    assert kinds(alone) == ["anchor_forged"] and alone.first.seq == anchor.seq
    # With the witness log, the anchor is also seen to differ from its copy, and the head
    # signed there no longer matches.
    report = chain.chain_verify()
    assert {"anchor_forged", "anchor_rewritten", "anchor_mismatch"} <= set(kinds(report))


def test_a_deleted_anchor_is_missed_by_its_witness_copy(world, points):
    make_visits(world, points, 2)
    publish_today()
    tamper("DELETE FROM records_chainanchor")
    assert chain.chain_verify(witness_dir=False).ok
    assert kinds(chain.chain_verify()) == ["anchor_missing"]


def test_a_signed_anchor_alone_bounds_the_change(world, points):
    """Without a checkpoint's entries (a receiver kept only the anchor) the record cannot be
    named, but the anchor says up to where history was rewritten."""
    visits = make_visits(world, points, 4)
    anchor = publish_today()
    kept = json.dumps(anchors.witness_copy(anchor))
    rewrite_visit(visits[1], "palsu")
    tamper("DELETE FROM records_chainanchor")
    receiver = Path(anchors.witness_dir()).parent / "receiver.jsonl"
    receiver.write_text(kept + "\n")
    report = chain.chain_verify(witness_dir=False, witnesses=[receiver])
    assert kinds(report) == ["anchor_missing", "anchor_mismatch"]
    assert f"between #1 and #{anchor.seq}" in report.problems[1].detail
    # The head printed on the report, typed in by hand, does the same.
    by_hand = chain.chain_verify(witness_dir=False, anchors=[(anchor.seq, anchor.entry_hash)])
    assert kinds(by_hand) == ["anchor_mismatch"]
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_records", "--no-witness-dir", "--witness", str(receiver),
                     stdout=out)
    assert "anchor_mismatch" in out.getvalue()


def test_removed_latest_entries_are_seen_by_the_witness(world, points):
    visits = make_visits(world, points, 3)
    anchors.witness_checkpoint()
    last = entry_of(visits[-1])
    tamper("DELETE FROM records_chainentry WHERE seq = %s", [last.seq])
    tamper("DELETE FROM records_patrolvisit WHERE id = %s", [visits[-1].pk])
    assert chain.chain_verify(witness_dir=False).ok
    first = chain.chain_verify().first
    assert (first.kind, first.seq, first.record_id) == ("entry_missing", last.seq,
                                                        visits[-1].pk)


def test_a_witness_copy_edited_without_the_key_is_refused(world, points):
    visits = make_visits(world, points, 3)
    anchors.witness_checkpoint()
    rewrite_visit(visits[0], "palsu")
    # The intruder also rewrites the copy's entries to the new chain: the signed head at
    # the end no longer matches them.
    copy = next((Path(anchors.witness_dir()) / anchors.CHECKPOINTS_DIR).glob("*.jsonl"))
    lines = [json.loads(line) for line in copy.read_text().splitlines()]
    new = {e.seq: e for e in ChainEntry.objects.all()}
    for line in lines[:-1]:
        seq = line["entry"][0]
        line["entry"][3:] = [new[seq].content_hash, new[seq].prev_hash,
                             line["entry"][5], new[seq].entry_hash]
    copy.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = chain.chain_verify()
    assert "witness_invalid" in kinds(report)
    assert "the entries do not end at the signed head" in str(report.problems)
    # ...and re-signing with a key of their own does not verify either.
    other = signing.new_signing_key()
    statement = anchors.SignedAnchor.from_dict(lines[-1]["checkpoint"])
    statement = anchors.SignedAnchor(**{**statement.as_dict(),
                                        "entry_hash": new[statement.seq].entry_hash})
    forged = signing._private(other).sign(statement.message())
    lines[-1]["checkpoint"] = {**statement.as_dict(),
                               "key_id": signing.key_id(signing.public_key_of(other)),
                               "signature": signing._b64(forged)}
    copy.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert "the signature does not verify" in str(chain.chain_verify().problems)


def test_a_checkpoint_never_certifies_a_rewritten_chain(world, points):
    visits = make_visits(world, points, 2)
    anchors.witness_checkpoint()
    make_visits(world, points, 2)
    rewrite_visit(visits[0], "palsu")
    folder = Path(anchors.witness_dir()) / anchors.CHECKPOINTS_DIR
    before = sorted(folder.iterdir())
    assert anchors.witness_checkpoint() is None
    assert sorted(folder.iterdir()) == before


def test_checkpoints_copy_each_entry_once_and_verify(world, points):
    make_visits(world, points, 2)
    first = anchors.witness_checkpoint()
    assert anchors.witness_checkpoint() is None  # nothing new
    make_visits(world, points, 3)
    second = anchors.witness_checkpoint()
    files = sorted((Path(anchors.witness_dir()) / anchors.CHECKPOINTS_DIR).iterdir())
    assert [f.name for f in files] == [f"{first.seq:012d}.jsonl", f"{second.seq:012d}.jsonl"]
    assert len(files[1].read_text().splitlines()) == second.seq - first.seq + 1
    report = chain.chain_verify()
    assert report.ok and report.witness_entries == second.seq == ChainEntry.objects.count()


def test_old_anchors_verify_with_a_retired_key_given_by_its_public_key(world, points,
                                                                        settings):
    make_visits(world, points, 2)
    publish_today()
    old_public = signing.public_key_of(settings.ANCHOR_SIGNING_KEYS[0])
    settings.ANCHOR_SIGNING_KEYS = [signing.new_signing_key()]
    assert "anchor_forged" in kinds(chain.chain_verify())
    assert chain.chain_verify(public_keys=[old_public]).ok
    out = StringIO()
    call_command("verify_records", "--print-public-key", stdout=out)
    assert out.getvalue().startswith(signing.public_key_of(settings.ANCHOR_SIGNING_KEYS[0]))
    # With "=": a base64url key may begin with "-", which argparse would take for an option.
    call_command("verify_records", f"--public-key={old_public}", stdout=StringIO())


def test_the_daily_task_signs_and_copies(world, points):
    from apps.records.tasks import anchor_chain

    make_visits(world, points, 2)
    anchor_chain()
    folder = Path(anchors.witness_dir())
    daily = [json.loads(line) for line in (folder / anchors.ANCHORS_FILE).read_text()
             .splitlines()]
    stored = ChainAnchor.objects.get()
    assert daily == [anchors.witness_copy(stored)]
    assert list((folder / anchors.CHECKPOINTS_DIR).glob("*.jsonl"))
    assert chain.chain_verify().ok


def test_an_anchor_whose_signature_was_removed_is_reported(world, points):
    make_visits(world, points, 2)
    anchor = publish_today()
    tamper("UPDATE records_chainanchor SET signature = '' WHERE id = %s", [anchor.pk])
    report = chain.chain_verify(witness_dir=False)
    assert kinds(report) == ["anchor_forged"] and "not signed" in report.first.detail
