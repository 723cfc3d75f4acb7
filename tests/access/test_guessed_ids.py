"""Guessed identifiers never tell whether an object exists across the policy boundary (security
plan T-AC-8). Generated from the URL table: every object URL a person of city B may not open is
probed with neighbouring, other-city, negative, huge, non-numeric and encoded ids, other
methods and a missing or extra slash; each answer must equal the one for a missing object."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from tests.access.test_url_matrix import TABLE, _without_per_request_values
from tests.conftest import Client

pytestmark = pytest.mark.usefixtures("shared_media")

PROBER = "operator_b"
SENTINEL = 987654321
OBJECT_ROWS = sorted(name for name, row in TABLE.items()
                     if row.args is not None and row.expected.get(PROBER) == 404)


def _answer(response) -> tuple[int, str]:
    return response.status_code, _without_per_request_values(response)


def _probe(client, method: str, url: str, data) -> tuple[int, str]:
    return _answer(getattr(client, method)(url, data or {}))


def _guesses(real) -> list[str]:
    if isinstance(real, int):
        return [str(g) for g in (0, real + 1000, real + 1_000_000, 2**31, 2**63 - 1, 2**63,
                                 10**30)] + ["-1", "%2D1", "abc", "1e3", "0x1", "１", "%00"]
    return [str(uuid.uuid4()), "abc", "-1", "%00"]


@pytest.fixture
def prober(world_with_alert):
    client = Client()
    client.force_login(world_with_alert.b.users["operator"])
    return client


def _positions(args) -> list[int]:
    """The identifiers among a URL's arguments (an int, or a UUID in text)."""
    return [i for i, a in enumerate(args)
            if isinstance(a, int) or (isinstance(a, str) and _is_uuid(a))]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _with(args, index: int, value) -> list:
    return [value if i == index else a for i, a in enumerate(args)]


@pytest.mark.parametrize("name", OBJECT_ROWS)
def test_forbidden_and_missing_objects_answer_alike(prober, world_with_alert, name):
    row = TABLE[name]
    args = row.args(world_with_alert)
    forbidden = _probe(prober, row.method, reverse(name, args=args), row.data)
    assert forbidden[0] == 404
    for index in _positions(args):
        real = args[index]
        template = reverse(name, args=_with(args, index, SENTINEL if isinstance(real, int)
                                            else str(uuid.UUID(int=SENTINEL))))
        sentinel = str(SENTINEL) if isinstance(real, int) else str(uuid.UUID(int=SENTINEL))
        for guess in _guesses(real):
            url = template.replace(sentinel, guess)
            assert _probe(prober, row.method, url, row.data) == forbidden, url
        # Neighbouring ids: each either belongs to city B (the prober may see it) or looks
        # exactly like a missing one.
        if isinstance(real, int):
            for neighbour in range(max(real - 20, 1), real + 21):
                status, body = _probe(prober, row.method,
                                      reverse(name, args=_with(args, index, neighbour)),
                                      row.data)
                assert status != 403 and status < 500
                if status == 404:
                    assert body == forbidden[1]


@pytest.mark.parametrize("name", OBJECT_ROWS)
def test_other_methods_and_slashes_answer_alike(prober, world_with_alert, name):
    row = TABLE[name]
    args = row.args(world_with_alert)
    forbidden_url = reverse(name, args=args)
    if not _positions(args):
        pytest.skip("no identifier in this URL")
    index = _positions(args)[0]
    missing_id = 2**62 + 7 if isinstance(args[index], int) else str(uuid.uuid4())
    missing_url = reverse(name, args=_with(args, index, missing_id))
    for method in ("head", "options", "get", "post", "put", "delete"):
        forbidden = getattr(prober, method)(forbidden_url)
        missing = getattr(prober, method)(missing_url)
        assert forbidden.status_code == missing.status_code, method
        assert forbidden.get("Allow") == missing.get("Allow"), method
    for variant in (lambda u: u.rstrip("/"), lambda u: u + "/", lambda u: u + "x/"):
        forbidden = prober.get(variant(forbidden_url))
        missing = prober.get(variant(missing_url))
        assert forbidden.status_code == missing.status_code
        assert forbidden.get("Location", "").replace(str(args[index]), "ID") == \
            missing.get("Location", "").replace(str(missing_id), "ID")


def _statements(client, url: str) -> list[str]:
    """The SQL a request runs, without its parameters (the ids differ, not the work)."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert client.get(url).status_code == 404
    return statements


def test_forbidden_and_missing_take_the_same_path(prober, world_with_alert):
    """Neither answer takes longer than the other: both run the same statements, in the same
    order (a forbidden object loaded and then refused would show as more, or other, queries).
    A timing comparison would measure the machine's load; timing belongs in bench/."""
    forbidden = reverse("overview:facility", args=[world_with_alert.a.facilities["kpu_office"].pk])
    missing = reverse("overview:facility", args=[2**62])
    _statements(prober, missing)  # the session and user caches warm alike for both
    assert _statements(prober, forbidden) == _statements(prober, missing)
