"""Nobody on two overlapping shifts, under concurrency (T-IN-16, T-IN-17).

On PostgreSQL the exclusion constraint decides: 20 simultaneous conflicting requests give
exactly one shift, and the 19 others a 409 form answer, never a 500 — also with the
application's own overlap check switched off, so the constraint is what is tested."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse

from apps.duty import services
from apps.duty.models import Shift
from tests.duty.conftest import make_shift

WIB = ZoneInfo("Asia/Jakarta")
REQUESTS = 20


def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")


@pytest.fixture
def pool_for_everyone():
    """Twenty requests hold twenty connections at once: a pool big enough for all of them
    (the portal's default pool is sized for its own worker threads)."""
    options = connection.settings_dict.get("OPTIONS", {})
    pool = options.get("pool")
    if not isinstance(pool, dict):
        yield
        return
    saved = dict(pool)
    connection.close_pool()
    pool.update(max_size=REQUESTS + 5, timeout=30)
    try:
        yield
    finally:
        connection.close_pool()
        pool.clear()
        pool.update(saved)


def _race(duty) -> list[int]:
    padal, person = duty.user("padal"), duty.user("field_tni")
    posts = [duty.post("A", f) for f in ("kpu_office", "bawaslu_office", "warehouse")]
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            client = Client(raise_request_exception=False)
            client.force_login(padal)
            # Exact, partial and contained overlaps, at three posts.
            start = datetime(2026, 12, 1, 8, tzinfo=WIB) + timedelta(minutes=10 * (k % 4))
            data = {"start": start.strftime("%Y-%m-%dT%H:%M"),
                    "end": (start + timedelta(hours=8 - k % 3)).strftime("%Y-%m-%dT%H:%M"),
                    "person": person.pk}
            barrier.wait(timeout=20)
            response = client.post(reverse("duty:shift_create", args=[posts[k % 3].pk]), data)
            statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pool_for_everyone")
def test_twenty_concurrent_conflicting_requests_make_one_shift(duty):
    _needs_postgresql()
    statuses = _race(duty)
    assert sorted(statuses) == [302] + [409] * (REQUESTS - 1)
    assert Shift.objects.filter(person=duty.user("field_tni")).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pool_for_everyone")
def test_the_database_constraint_alone_makes_one_shift(duty, monkeypatch):
    _needs_postgresql()
    monkeypatch.setattr(services, "_assert_free", lambda *args, **kwargs: None)
    statuses = _race(duty)
    assert sorted(statuses) == [302] + [409] * (REQUESTS - 1)
    assert Shift.objects.filter(person=duty.user("field_tni")).count() == 1


def test_postgresql_refuses_overlaps_written_behind_the_services_back(duty):
    _needs_postgresql()
    person = duty.user("field_tni")
    start = datetime(2026, 12, 1, 8, tzinfo=WIB)
    make_shift(duty.post("A"), person, start)
    make_shift(duty.post("A"), person, start + timedelta(hours=8))  # touching: fine
    make_shift(duty.post("A"), None, start)  # open slots never conflict
    make_shift(duty.post("A"), None, start)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_shift(duty.post("A", "warehouse"), person, start + timedelta(hours=7))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_shift(duty.post("A"), None, start, hours=24.5)  # longer than 24 hours


def test_sqlite_checks_overlaps_inside_the_write_transaction(duty, settings):
    """On SQLite the check and the insert share BEGIN IMMEDIATE's write lock (settings)."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path")
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    padal, person = duty.user("padal"), duty.user("field_tni")
    start = datetime(2026, 12, 1, 8, tzinfo=WIB)
    services.shift_create(post=duty.post("A"), by=padal, person=person, start=start,
                          end=start + timedelta(hours=8))
    with pytest.raises(services.ValidationError):
        services.shift_create(post=duty.post("A", "warehouse"), by=padal, person=person,
                              start=start + timedelta(hours=1),
                              end=start + timedelta(hours=2))


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


@pytest.mark.django_db
def test_a_deadlock_victim_tries_again_and_other_errors_do_not():
    calls = []

    def deadlocks_once():
        calls.append("try")
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from _Deadlock()
        return "saved"

    assert services._save_guarded(deadlocks_once) == "saved" and len(calls) == 2

    def database_gone():
        calls.append("gone")
        raise OperationalError("server closed the connection")

    with pytest.raises(OperationalError):
        services._save_guarded(database_gone)
    assert calls.count("gone") == 1
