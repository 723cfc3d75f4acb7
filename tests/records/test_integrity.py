"""Append-only records and the hash chain (T-REC-1, 4, 5, 6, 8; T-REC-2).

Tampering is simulated the way an intruder with database access would do it: raw SQL, with
the append-only triggers out of the way (tests.records.tampering)."""

from __future__ import annotations

import threading
import uuid
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.utils import timezone

from apps.core.photos import photos_normalise
from apps.records import chain
from apps.records.models import (
    ChainAnchor,
    ChainEntry,
    ChainVerification,
    PatrolVisit,
    RecordPhoto,
    SealedRecordError,
)
from apps.records.services.patrols import patrol_visit_record
from apps.records.tasks import verify_chain
from tests.records.conftest import jpeg_bytes, upload, visit
from tests.records.tampering import tamper

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def make_visits(world, points, n: int) -> list[PatrolVisit]:
    officer = world.a.users["field_polri"]
    return [patrol_visit_record(user=officer, entry=visit(points.gate, notes=f"ronda {i}")).record
            for i in range(n)]


def entry_of(record) -> ChainEntry:
    return ChainEntry.objects.get(record_type=record._meta.label_lower, record_id=record.pk)


# --- T-REC-1: the application cannot change or delete a record -------------------------------


def test_orm_changes_and_deletions_are_refused(world, points):
    saved = make_visits(world, points, 1)[0]
    saved.notes = "diubah"
    with pytest.raises(SealedRecordError):
        saved.save()
    with pytest.raises(SealedRecordError):
        saved.delete()
    for action in (
        lambda: PatrolVisit.objects.filter(pk=saved.pk).update(notes="x"),
        lambda: PatrolVisit.objects.filter(pk=saved.pk).delete(),
        lambda: PatrolVisit.objects.bulk_update([saved], ["notes"]),
        lambda: PatrolVisit.objects.bulk_create([PatrolVisit()]),
        lambda: points.gate.visits.all().delete(),
        lambda: ChainEntry.objects.all().delete(),
        lambda: PatrolVisit._base_manager.filter(pk=saved.pk).update(notes="x"),
    ):
        with pytest.raises(SealedRecordError):
            action()
    saved.refresh_from_db()
    assert saved.notes == "ronda 0"
    assert chain.chain_verify().ok


def test_the_admin_is_read_only_for_records(client, world, points):
    saved = make_visits(world, points, 1)[0]
    admin_user = world.a.users["admin"]
    model_admin = admin.site._registry[PatrolVisit]
    request = RequestFactory().get("/")
    request.user = admin_user
    assert not model_admin.has_change_permission(request, saved)
    assert not model_admin.has_delete_permission(request, saved)
    assert not model_admin.has_add_permission(request)
    client.force_login(admin_user)
    url = f"/admin/records/patrolvisit/{saved.pk}/change/"
    assert client.get(url).status_code == 200  # it can be read
    response = client.post(url, {"notes": "diubah"})
    assert response.status_code == 403
    response = client.post(f"/admin/records/patrolvisit/{saved.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert PatrolVisit.objects.get(pk=saved.pk).notes == "ronda 0"


# --- T-REC-4: the chain pinpoints what was done behind the application's back ----------------


def test_an_untouched_chain_verifies(world, points):
    make_visits(world, points, 5)
    report = chain.chain_verify()
    assert report.ok and report.entries == ChainEntry.objects.count()
    assert report.head.seq == ChainEntry.objects.order_by("-seq").first().seq
    seqs = list(ChainEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_raw_sql_edit_is_reported_at_its_row(world, points):
    visits = make_visits(world, points, 6)
    target = visits[3]
    tamper("UPDATE records_patrolvisit SET notes = %s WHERE id = %s", ["ronda 3!", target.pk])
    report = chain.chain_verify()
    assert not report.ok
    first = report.first
    assert (first.kind, first.record_type, first.record_id) == (
        "record_changed", "records.patrolvisit", target.pk)
    assert first.seq == entry_of(target).seq
    assert len(report.problems) == 1


def test_a_one_byte_edit_of_a_time_is_reported(world, points):
    visits = make_visits(world, points, 3)
    target = visits[1]
    moved = target.occurred_at + timezone.timedelta(microseconds=1)
    tamper("UPDATE records_patrolvisit SET occurred_at = %s WHERE id = %s",
           [moved if connection.vendor == "postgresql" else moved.strftime(
               "%Y-%m-%d %H:%M:%S.%f"), target.pk])
    assert chain.chain_verify().first.record_id == target.pk


def test_a_deleted_record_is_reported(world, points):
    visits = make_visits(world, points, 4)
    target = visits[2]
    seq = entry_of(target).seq
    tamper("DELETE FROM records_patrolvisit WHERE id = %s", [target.pk])
    first = chain.chain_verify().first
    assert (first.kind, first.seq, first.record_id) == ("record_missing", seq, target.pk)


def test_a_deleted_chain_entry_is_reported_at_the_next_one(world, points):
    visits = make_visits(world, points, 4)
    target = entry_of(visits[1])
    tamper("DELETE FROM records_chainentry WHERE seq = %s", [target.seq])
    report = chain.chain_verify()
    assert (report.first.kind, report.first.seq) == ("entry_missing", target.seq + 1)
    # ...and the record whose entry vanished is now a record outside the chain.
    assert any(p.kind == "record_unchained" and p.record_id == visits[1].pk
               for p in report.problems)


def test_a_row_inserted_behind_the_back_is_reported(world, points):
    make_visits(world, points, 2)
    original = PatrolVisit.objects.order_by("pk").first()
    columns = [f.column for f in PatrolVisit._meta.concrete_fields if f.column != "id"]
    values = [getattr(original, f.attname) for f in PatrolVisit._meta.concrete_fields
              if f.column != "id"]
    values[columns.index("client_key")] = uuid.uuid4().hex if connection.vendor == "sqlite" \
        else uuid.uuid4()
    placeholders = ", ".join(["%s"] * len(columns))
    tamper(f"INSERT INTO records_patrolvisit ({', '.join(columns)}) "  # noqa: S608 (test)
           f"VALUES ({placeholders})", values)
    inserted = PatrolVisit.objects.order_by("-pk").first()
    report = chain.chain_verify()
    assert [(p.kind, p.record_id) for p in report.problems] == [
        ("record_unchained", inserted.pk)]


def test_an_edited_chain_entry_is_reported(world, points):
    visits = make_visits(world, points, 3)
    target = entry_of(visits[1])
    tamper("UPDATE records_chainentry SET content_hash = %s WHERE seq = %s",
           ["0" * 64, target.seq])
    first = chain.chain_verify().first
    assert (first.kind, first.seq) == ("entry_altered", target.seq)


# --- T-REC-6: attachments ---------------------------------------------------------------------


def test_a_photo_changed_on_disk_is_reported(world, points):
    officer = world.a.users["field_polri"]
    patrol_visit_record(user=officer, entry=visit(points.gate),
                        photos=photos_normalise([upload(jpeg_bytes())]))
    photo = RecordPhoto.objects.get()
    assert chain.chain_verify().ok
    with open(photo.image.path, "ab") as handle:
        handle.write(b"\0")
    first = chain.chain_verify().first
    assert (first.kind, first.record_id) == ("file_changed", photo.pk)
    assert chain.chain_verify(check_files=False).ok


# --- the command and the administrator's page ---------------------------------------------------


def test_verify_records_command(world, points):
    visits = make_visits(world, points, 3)
    out = StringIO()
    call_command("verify_records", stdout=out)
    assert "chain intact" in out.getvalue()
    tamper("UPDATE records_patrolvisit SET notes = %s WHERE id = %s", ["x", visits[1].pk])
    out = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("verify_records", stdout=out)
    assert exit_code.value.code == 1
    seq = entry_of(visits[1]).seq
    assert f"#{seq} records.patrolvisit:{visits[1].pk} record_changed" in out.getvalue()


def test_verify_records_with_an_outside_anchor(world, points):
    make_visits(world, points, 2)
    head = chain.chain_head()
    call_command("verify_records", "--anchor", f"{head.seq}:{head.entry_hash}",
                 stdout=StringIO())
    with pytest.raises(SystemExit):
        call_command("verify_records", "--anchor", f"{head.seq}:{'0' * 64}", stdout=StringIO())


def test_the_integrity_page_shows_the_latest_walk_and_starts_one_on_request(
        client, world, points, django_assert_max_num_queries,
        django_capture_on_commit_callbacks):
    visits = make_visits(world, points, 2)
    client.force_login(world.a.users["admin"])
    assert client.get("/integritas-catatan/").context["latest"] is None
    tamper("UPDATE records_patrolvisit SET notes = %s WHERE id = %s", ["x", visits[0].pk])
    # The walk runs in the background (in line here: no runner), never in a GET.
    with django_assert_max_num_queries(40):
        response = client.get("/integritas-catatan/")
    assert "record_changed" not in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post("/integritas-catatan/", {"files": "1"})
    assert response.status_code == 302 and len(queued) == 1
    walk = ChainVerification.objects.get()
    assert walk.trigger == "request" and walk.requested_by == world.a.users["admin"]
    assert walk.files and walk.problem_count >= 1 and not walk.ok
    page = client.get("/integritas-catatan/").content.decode()
    assert "record_changed" in page and f"records.patrolvisit:{visits[0].pk}" in page
    for who in ("commander", "operator", "kpu"):
        client.force_login(world.a.users[who])
        assert client.get("/integritas-catatan/").status_code == 404
        assert client.post("/integritas-catatan/").status_code == 404
    assert ChainVerification.objects.count() == 1


def test_the_scheduled_walk_keeps_its_result(world, points):
    make_visits(world, points, 3)
    assert verify_chain() == 0
    walk = ChainVerification.objects.get()
    head = chain.chain_head()
    assert walk.ok and walk.trigger == "schedule" and not walk.files
    assert (walk.head_seq, walk.head_hash, walk.entries) == (head.seq, head.entry_hash, head.seq)


def test_the_daily_anchor_is_published_once(world, points):
    from apps.records.services.compliance import anchor_yesterday

    make_visits(world, points, 2)
    first = anchor_yesterday(now=timezone.now() + timezone.timedelta(days=1))
    again = anchor_yesterday(now=timezone.now() + timezone.timedelta(days=1))
    assert first.pk == again.pk and ChainAnchor.objects.count() == 1
    assert first.seq == chain.chain_head().seq


# --- T-REC-5: concurrent writers (real PostgreSQL transactions) ------------------------------


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_chain_without_forks_or_gaps(world, points):
    officer = world.a.users["field_polri"]
    writers, per_writer, errors = 8, 10, []

    def write() -> None:
        try:
            for _ in range(per_writer):
                patrol_visit_record(user=officer, entry=visit(points.gate))
        except Exception as error:  # noqa: BLE001 - any failure fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert PatrolVisit.objects.count() == writers * per_writer
    report = chain.chain_verify()
    assert report.ok, report.problems[:3]
    seqs = list(ChainEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


# --- T-REC-2: the database refuses changes too --------------------------------------------------


@on_postgres
def test_postgresql_triggers_refuse_update_and_delete_even_for_the_table_owner(world, points):
    saved = make_visits(world, points, 1)[0]
    for sql in ("UPDATE records_patrolvisit SET notes = 'x' WHERE id = %s",
                "DELETE FROM records_patrolvisit WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [saved.pk])


def _append_only_tables() -> set[str]:
    """Tables whose rows the database refuses to UPDATE and DELETE, both refusals present."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT c.relname FROM pg_trigger t JOIN pg_class c "
                           "ON c.oid = t.tgrelid WHERE t.tgname = c.relname || '_append_only' "
                           "AND t.tgtype & 8 = 8 AND t.tgtype & 16 = 16")  # DELETE, UPDATE
            return {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names = cursor.fetchall()
    return {table for table, name in names if name == f"{table}_append_only_update"
            and (table, f"{table}_append_only_delete") in names}


def test_every_record_table_refuses_update_and_delete_in_the_database(world, points):
    """The same guard on SQLite (embedded mode) as on PostgreSQL, on every sealed table:
    a migration that makes SQLite rebuild a table would drop its triggers, and fail here."""
    from apps.records.models import sealed_models

    sealed = {m._meta.db_table for m in [*sealed_models(), ChainEntry, ChainAnchor]}
    assert sealed <= _append_only_tables()
    saved = make_visits(world, points, 1)[0]
    for sql in ("UPDATE records_patrolvisit SET notes = 'x' WHERE id = %s",
                "DELETE FROM records_patrolvisit WHERE id = %s",
                "UPDATE records_chainentry SET entry_hash = 'x' WHERE record_id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [saved.pk])
    assert chain.chain_verify().ok


RESTRICTED_ROLE = "posko_records_test_app"
RECORD_TABLES = ("records_patrolvisit", "records_chainentry", "records_incident",
                 "records_incidentstep", "records_checksignature")


@on_postgres
def test_a_restricted_application_role_can_insert_but_not_change(world, points):
    """The grants of the README: SELECT everywhere, INSERT on the record tables, no UPDATE,
    DELETE or TRUNCATE on them; the triggers' switch needs a superuser."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {RESTRICTED_ROLE}")
        cursor.execute(f"CREATE ROLE {RESTRICTED_ROLE} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {RESTRICTED_ROLE}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                       f"TO {RESTRICTED_ROLE}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public "
                       f"TO {RESTRICTED_ROLE}")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                       "AND tablename LIKE 'records\\_%%' AND tablename <> 'records_checkpoint'")
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {RESTRICTED_ROLE}")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {RESTRICTED_ROLE}")
        try:
            saved = make_visits(world, points, 1)[0]  # inserting (and chaining) works
            for sql in ("UPDATE records_patrolvisit SET notes = 'x' WHERE id = %s",
                        "DELETE FROM records_patrolvisit WHERE id = %s",
                        "UPDATE records_chainentry SET entry_hash = 'x' WHERE record_id = %s",
                        "TRUNCATE records_patrolvisit CASCADE"):
                with pytest.raises(DatabaseError, match="permission denied"), \
                        transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, [saved.pk] if "%s" in sql else [])
            with pytest.raises(DatabaseError), transaction.atomic(), \
                    connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
        assert chain.chain_verify().ok
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {RESTRICTED_ROLE} TO CURRENT_USER")
            cursor.execute(f"DROP OWNED BY {RESTRICTED_ROLE}")
            cursor.execute(f"DROP ROLE IF EXISTS {RESTRICTED_ROLE}")
