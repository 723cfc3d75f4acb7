"""Device tokens: made on the account page and shown once, stored hashed, refused once
revoked or when their person is deactivated; only a session past the second login step may
make one."""

from __future__ import annotations

import hashlib

from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from apps.api import tokens
from apps.api.models import ApiToken
from tests.api.conftest import device_token


def test_the_account_page_shows_a_new_token_once_and_keeps_only_its_hash(client, api_world):
    user = api_world.user("field_polri")
    client.force_login(user)
    response = client.post(reverse("integrations:tokens"), {"name": "HP Pos 1"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plaintext = response.context["new_token"]
    assert plaintext.startswith("posko_") and plaintext in response.content.decode()
    token = ApiToken.objects.get(user=user)
    secret = plaintext.split("_", 2)[2]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(token.__dict__)
    page = client.get(reverse("integrations:tokens")).content.decode()
    assert "HP Pos 1" in page and plaintext not in page and secret not in page


def test_a_device_token_authenticates_and_is_refused_after_revocation(client, api_world):
    user = api_world.user("field_tni")
    plaintext = device_token(user)
    phone = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert phone.get("/api/facilities/").status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token.last_used_at is not None
    client.force_login(user)
    response = client.post(reverse("integrations:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    response = phone.get("/api/facilities/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_tokens_of_deactivated_people_and_wrong_tokens_are_refused(api_world):
    user = api_world.user("field_pemda")
    plaintext = device_token(user)
    prefix, secret = plaintext.split("_")[1], plaintext.split("_", 2)[2]
    for wrong in (f"posko_{prefix}_{secret[:-1]}x", f"posko_00000000_{secret}", "posko_",
                  "garbage", f"{plaintext} extra"):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {wrong}").get("/api/facilities/")
        assert response.status_code == 401, wrong
    user.is_active = False
    user.save()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get("/api/facilities/")
    assert response.status_code == 401


def test_nobody_revokes_someone_elses_token(client, api_world):
    device_token(api_world.user("field_tni"))
    token = ApiToken.objects.get(user=api_world.user("field_tni"))
    client.force_login(api_world.user("admin"))
    response = client.post(reverse("integrations:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_roles_with_two_step_login_need_it_to_make_a_token(api_world):
    import pytest
    from django.core.exceptions import PermissionDenied

    operator = api_world.user("operator")
    with pytest.raises(PermissionDenied):
        tokens.token_create(user=operator, name="x", session_or_request={})
    from tests.conftest import Client as OtpClient

    browser = OtpClient()
    browser.force_login(operator, otp=False)
    assert browser.post(reverse("integrations:tokens"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.filter(user=operator).exists()
    browser.force_login(operator)  # now past the second step
    assert browser.post(reverse("integrations:tokens"), {"name": "x"}).status_code == 200
    assert ApiToken.objects.filter(user=operator).count() == 1


def test_a_token_acts_with_exactly_its_persons_access(api_world):
    phone = Client(HTTP_AUTHORIZATION=f"Bearer {device_token(api_world.world.b.users['kpu'])}")
    response = phone.get("/api/cameras/")
    assert response.json()["results"] == []
    assert phone.get(f"/api/cameras/{api_world.inward.pk}/").status_code == 404


def test_a_token_session_needs_no_csrf_and_a_token_cannot_make_tokens(api_world):
    phone = Client(enforce_csrf_checks=True,
                   HTTP_AUTHORIZATION=f"Bearer {device_token(api_world.user('operator'))}")
    response = phone.post(f"/api/alerts/{api_world.outward_alert.pk}/acknowledge/", {},
                          content_type="application/json")
    assert response.status_code == 200
    # The account page is for a signed-in browser only (here: refused by the CSRF check).
    assert phone.post(reverse("integrations:tokens"), {"name": "x"}).status_code in (302, 403)
    assert ApiToken.objects.filter(user=api_world.user("operator")).count() == 1


def test_a_password_change_ends_every_token(api_world):
    user = api_world.user("field_polri")
    plaintext = device_token(user)
    phone = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert phone.get("/api/facilities/").status_code == 200
    user.set_password("kata-sandi-baru-2026")
    user.save()
    assert phone.get("/api/facilities/").status_code == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert phone.get("/api/facilities/").status_code == 401


def test_a_rehashed_password_at_login_keeps_the_tokens(api_world):
    """Django re-hashes an older hash with the preferred hasher at login: not a change."""
    user = api_world.user("field_polri")
    user.password = make_password("kata-sandi-2026", hasher="pbkdf2_sha256")
    user.save()
    plaintext = device_token(user)
    assert user.check_password("kata-sandi-2026")  # upgrades the hash and saves it
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get("/api/facilities/")
    assert response.status_code == 200


def test_tokens_do_not_come_back_when_a_person_is_reactivated(api_world):
    user = api_world.user("field_tni")
    plaintext = device_token(user)
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get("/api/facilities/")
    assert response.status_code == 401
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
