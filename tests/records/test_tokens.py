"""Checkpoint labels: the QR token cannot be forged, altered, replayed at another checkpoint or
used after new labels were printed; the typed code works and cannot be guessed from afar."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from apps.records import tokens
from apps.records.models import VisitMethod
from apps.records.services.patrols import checkpoint_relabel


def resolve(user, **kwargs):
    return tokens.resolve_checkpoint(user_id=user.pk, **kwargs)


def test_a_genuine_token_resolves_to_its_checkpoint(world, points):
    officer = world.a.users["field_polri"]
    found = resolve(officer, token=tokens.checkpoint_token(points.gate))
    assert found.checkpoint == points.gate
    assert found.method == VisitMethod.QR


def test_the_label_url_and_the_bare_token_both_work(world, points):
    token = tokens.checkpoint_token(points.gate)
    officer = world.a.users["field_polri"]
    url = f"http://127.0.0.1:8000/patroli/?t={token}"
    assert resolve(officer, token=url).checkpoint == points.gate


def test_a_forged_token_is_refused(world, points):
    forged = signing.Signer(key="not-the-portal-key", salt=tokens.TOKEN_SALT).sign_object(
        {"c": points.gate.pk, "v": 1})
    with pytest.raises(ValidationError) as error:
        resolve(world.a.users["field_polri"], token=forged)
    assert error.value.code == "bad_token"


def test_an_altered_token_is_refused(world, points):
    """The payload rewritten to name another checkpoint, signature kept: refused."""
    token = tokens.checkpoint_token(points.gate)
    _payload, signature = token.rsplit(":", 1)
    other = base64.urlsafe_b64encode(json.dumps(
        {"c": points.fence.pk, "v": 1}, separators=(",", ":")).encode()).decode().rstrip("=")
    with pytest.raises(ValidationError) as error:
        resolve(world.a.users["field_polri"], token=f"{other}:{signature}")
    assert error.value.code == "bad_token"
    with pytest.raises(ValidationError):
        resolve(world.a.users["field_polri"], token=token[:-2] + ("AA" if token[-2:] != "AA"
                                                                  else "BB"))


def test_a_token_is_not_accepted_for_another_checkpoint(world, points):
    token = tokens.checkpoint_token(points.gate)
    with pytest.raises(ValidationError) as error:
        resolve(world.a.users["field_polri"], token=token,
                claimed_checkpoint_id=points.fence.pk)
    assert error.value.code == "other_checkpoint"
    with pytest.raises(ValidationError):
        resolve(world.a.users["field_polri"], code=points.gate.code,
                claimed_checkpoint_id=points.fence.pk)


def test_a_token_signed_for_another_purpose_is_refused(world, points):
    """Same key, other salt (e.g. a session or another signed value): refused."""
    other = signing.Signer(salt="something.else").sign_object({"c": points.gate.pk, "v": 1})
    with pytest.raises(ValidationError):
        resolve(world.a.users["field_polri"], token=other)


def test_new_labels_retire_the_old_ones(world, points):
    old_token, old_code = tokens.checkpoint_token(points.gate), points.gate.code
    checkpoint_relabel(checkpoint=points.gate, by=world.a.users["commander"])
    points.gate.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        resolve(world.a.users["field_polri"], token=old_token)
    assert error.value.code == "old_label"
    with pytest.raises(ValidationError):
        resolve(world.a.users["field_polri"], code=old_code)
    assert resolve(world.a.users["field_polri"],
                   token=tokens.checkpoint_token(points.gate)).checkpoint == points.gate


def test_typed_codes_ignore_case_and_spaces(world, points):
    code = points.gate.code
    typed = f" {code[:3].lower()}-{code[3:]} "
    found = resolve(world.a.users["field_polri"], code=typed)
    assert found.checkpoint == points.gate
    assert found.method == VisitMethod.CODE


def test_guessing_codes_is_rate_limited(world, points):
    officer = world.a.users["field_polri"]
    for _ in range(tokens.WRONG_CODES_ALLOWED):
        with pytest.raises(ValidationError) as error:
            resolve(officer, code="ZZZZZZ")
        assert error.value.code == "bad_code"
    with pytest.raises(ValidationError) as error:
        resolve(officer, code=points.gate.code)
    assert error.value.code == "rate_limited"
    # Another person is not affected.
    assert resolve(world.a.users["field_tni"], code=points.gate.code).checkpoint == points.gate


def test_codes_avoid_look_alike_characters(db):
    for _ in range(50):
        code = tokens.new_code()
        assert len(code) == tokens.CODE_LENGTH
        assert not set(code) & set("01OI")
