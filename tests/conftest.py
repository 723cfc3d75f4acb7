from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django import test
from django.db import transaction

from tests.cast import City, build_city

# Run one after another on a single worker when the suite runs in parallel (`make test`):
# these start real processes and streams, wait on real time, or share the machine's Redis,
# and would otherwise compete with each other for the CPU their deadlines assume.
SERIAL_PATHS = (
    "tests/integration/", "tests/e2e/", "tests/live/", "tests/streams/test_watcher.py",
    "tests/streams/test_leases.py", "tests/vision/test_stream.py",
    "tests/records/test_e2e_offline.py",
)


def pytest_sessionstart(session):
    """The folder of a SQLite test database (var/ by default, portal.settings.test): settings
    write nothing, and a fresh clone has no var/ yet."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name:
        Path(name).parent.mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(SERIAL_PATHS) or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("serial"))


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_sqlite_record_triggers():
    """Transactional tests end with a flush: on SQLite a DELETE FROM that the append-only
    triggers refuse (on PostgreSQL a TRUNCATE, which they do not see). Test databases only."""
    from django.db.backends.sqlite3.base import DatabaseOperations

    from tests.records.tampering import records_writable

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with records_writable(self.connection):
            flush(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = flush


@dataclass
class World:
    a: City
    b: City


def build_world() -> World:
    return World(a=build_city("A", "Asia/Jakarta"), b=build_city("B", "Asia/Makassar"))


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """One transaction around a whole test module, for modules of many read-mostly tests
    (the access tables): module-scoped fixtures make their rows once inside it, every test
    runs in a savepoint that is rolled back, and the module's rows go at its end. Building
    the cast for each of a thousand tests cost most of the suite's time.

    Yields the module's MEDIA_ROOT: files the shared rows point at must outlive one test, so
    such a module also uses `shared_media` (`pytestmark = pytest.mark.usefixtures(...)`).
    Not for transactional tests: they empty the database."""
    media = tmp_path_factory.mktemp("module-media")
    with django_db_blocker.unblock(), test.override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield media
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def shared_world(module_db):
    """The URL table's world (tests/access/urlworld.py), made once per module: the URL
    table, the guessed-id probes and the browser-header tests read it."""
    from tests.access.urlworld import build_url_world

    return build_url_world()


@pytest.fixture
def world_with_alert(shared_world, db):
    return shared_world


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def shared_media(settings, module_db):
    """MEDIA_ROOT for every test of a `module_db` module (after `_media_in_tmp` set its own)."""
    settings.MEDIA_ROOT = module_db


@pytest.fixture(autouse=True)
def _recordings_in_tmp(settings, tmp_path):
    """Each test's recorded segments in its own folder (never var/recordings)."""
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "recordings")}}}


@pytest.fixture(autouse=True)
def _witness_in_tmp(settings, tmp_path):
    """Each test's copies of the chain's anchors apart (apps.records.anchors)."""
    settings.ANCHOR_WITNESS_DIR = str(tmp_path / "witness")


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def background_runner():
    """The embedded-mode in-process runner, as `manage.py serve` starts it."""
    from apps.core.background import runner

    runner.start(schedule={})  # no periodic work (watchers!) inside unrelated tests
    yield runner
    runner.stop()


def verify_otp(client: test.Client, user) -> None:
    """Mark the client's session as past the second login step, as the code page does, for a
    person whose role needs one (`force_login` skips the password, so it skips the code too).
    Used by the `client` fixture and by the websocket tests."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.accounts import mfa

    if not mfa.requires_two_factor(user):
        return
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test",
                                                 defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class Client(test.Client):
    """`force_login` also passes the second step; `force_login(user, otp=False)` stops before
    it (a password-only session, for the two-step tests)."""

    def force_login(self, user, backend=None, *, otp: bool = True) -> None:
        super().force_login(user, backend)
        if otp:
            verify_otp(self, user)


@pytest.fixture
def client() -> Client:
    return Client()
