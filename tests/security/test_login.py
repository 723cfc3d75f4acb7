"""Logging in the way an attacker would try: guessing passwords, skipping the second step,
reusing codes (security plan T-AUTH-1, -2, -3, -6, -7; T-AUTH-8 is in tests/core)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa
from apps.accounts.models import User
from tests.cast import PASSWORD

LOGIN = "accounts:login"


def login(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post(reverse(LOGIN), {"username": username, "password": password},
                       REMOTE_ADDR=address)


def code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{device.digits}d}"


def authenticator(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    mfa.new_backup_codes(user)
    return device


# --- throttling (django-axes) ------------------------------------------------------------------


def test_wrong_passwords_pause_that_username_from_that_address_only(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "operator_a", "wrong password").status_code == 200
    assert login(client, "operator_a", "wrong password").status_code == 429  # the last try
    locked = login(client, "operator_a")  # even the right password
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    # Many officers share one address at a post: others still log in from it...
    assert login(client, "commander_a").status_code == 302
    # ...and the person still logs in from elsewhere (no IP-only or username-only lockout).
    assert login(client, "operator_a", address="10.2.2.2").status_code == 302


def test_case_and_width_variants_count_as_one_username(client, world, settings):
    variants = ["OPERATOR_A", "ｏｐｅｒａｔｏｒ_a", "Operator_A", "operator_a", "OpErAtOr_a"]
    for username in variants[: settings.AXES_FAILURE_LIMIT]:
        login(client, username, "wrong password")
    assert login(client, "operator_a").status_code == 429


def test_the_pause_ends_by_itself(client, world, settings):
    with time_machine.travel("2026-11-23 10:00 +0700", tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, "operator_a", "wrong password")
        assert login(client, "operator_a").status_code == 429
        clock.shift(timedelta(minutes=14))
        assert login(client, "operator_a", "still wrong").status_code == 429
        clock.shift(timedelta(minutes=16))  # failures during the pause restarted the clock
        assert login(client, "operator_a").status_code == 302


def test_lockouts_are_logged(client, world, settings, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, "operator_a", "wrong password")
    assert any("Locking out" in r.getMessage() for r in caplog.records)
    assert not any(PASSWORD in r.getMessage() or "wrong password" in r.getMessage()
                   for r in caplog.records)


def test_unknown_user_and_wrong_password_look_the_same(client, world):
    wrong = login(client, "operator_a", "not the password")
    unknown = login(client, "nobody_here", "not the password")
    inactive = world.a.users["field_polri"]
    inactive.is_active = False
    inactive.save()
    deactivated = login(client, "field_polri_a")
    assert wrong.status_code == unknown.status_code == deactivated.status_code == 200
    body = {r.content.decode().replace("nobody_here", "operator_a")
            .replace("field_polri_a", "operator_a") for r in (wrong, unknown, deactivated)}
    assert len({b.split('name="csrfmiddlewaretoken"')[0] for b in body}) == 1


# --- passwords and accounts --------------------------------------------------------------------


@pytest.mark.parametrize("password",
                         ["short-pass1", "password1234", "qwertyuiop12", "ilovemyfamily"])
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["jaga gudang logistik malam ini", "x" * 64 + "y" * 64,
                                      "  kata sandi dengan spasi  ", "Sandi-Ünïcödé-日本語-🔐"])
def test_long_and_unicode_passwords_are_kept_verbatim(db, password):
    validate_password(password)
    user = User.objects.create(username="u", full_name="U")
    user.set_password(password)
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    assert user.check_password(password)
    assert not user.check_password(password.strip()) or password == password.strip()
    assert not user.check_password(password.upper()) or password == password.upper()


def test_look_alike_usernames_are_one_account(db):
    User.objects.create(username="admin.kota", full_name="A")
    for look_alike in ("Admin.Kota", "ａｄｍｉｎ.ｋｏｔａ", "ADMIN.KOTA"):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username=look_alike, full_name="B")


# --- the second step (django-otp) --------------------------------------------------------------


def test_password_alone_reaches_only_the_setup_page(client, world):
    response = login(client, "operator_a")
    assert response.status_code == 302
    page = client.get(reverse("alerts:feed"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:otp_enrol"))
    setup = client.get(page["Location"])
    assert setup.status_code == 200
    html = setup.content.decode()
    assert 'src="data:image/svg+xml' in html  # the QR code, no inline markup for the CSP
    device = TOTPDevice.objects.get(user=world.a.users["operator"], confirmed=False)
    assert mfa.secret_text(device) in html


def test_enrolment_confirms_with_a_code_and_shows_backup_codes_once(client, world):
    login(client, "operator_a")
    client.get(reverse("accounts:otp_enrol"))
    device = TOTPDevice.objects.get(user=world.a.users["operator"])
    key_before = client.cookies["sessionid"].value
    wrong = client.post(reverse("accounts:otp_enrol"), {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # skip the wait
    done = client.post(reverse("accounts:otp_enrol"), {"code": code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == mfa.BACKUP_CODE_COUNT
    assert client.cookies["sessionid"].value != key_before  # new key after the second step
    assert client.get(reverse("alerts:feed")).status_code == 200
    # The secret is not shown again, not even to its owner.
    again = client.get(reverse("accounts:otp_enrol"))
    assert again.status_code == 302
    assert mfa.secret_text(device) not in client.get(reverse("accounts:profile")).content.decode()


def test_a_stolen_password_cannot_add_an_authenticator(client, world):
    authenticator(world.a.users["operator"])
    login(client, "operator_a")
    response = client.get(reverse("accounts:otp_enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert TOTPDevice.objects.filter(user=world.a.users["operator"]).count() == 1


def test_code_step_rotates_the_session_key_and_unlocks_pages(client, world):
    device = authenticator(world.a.users["operator"])
    login(client, "operator_a")
    before = client.cookies["sessionid"].value
    response = client.post(reverse("accounts:otp_verify") + "?next=/peringatan/",
                           {"code": code(device)})
    assert response.status_code == 302 and response["Location"] == "/peringatan/"
    assert client.cookies["sessionid"].value != before
    assert SessionStore(before).load() == {}
    assert client.get(reverse("alerts:feed")).status_code == 200


def test_the_next_address_cannot_leave_the_site(client, world):
    device = authenticator(world.a.users["operator"])
    login(client, "operator_a")
    response = client.post(reverse("accounts:otp_verify") + "?next=https://evil.example/",
                           {"code": code(device)})
    assert response["Location"] == reverse("overview:home")


def test_a_code_works_once(client, world):
    device = authenticator(world.a.users["operator"])
    with time_machine.travel("2026-11-23 10:00:05 +0700", tick=False):
        token = code(device)
        login(client, "operator_a")
        assert client.post(reverse("accounts:otp_verify"), {"code": token}).status_code == 302
        client.post(reverse("accounts:logout"))
        login(client, "operator_a")
        reused = client.post(reverse("accounts:otp_verify"), {"code": token})
    assert reused.status_code == 200
    assert client.get(reverse("alerts:feed")).status_code == 302


def test_wrong_codes_double_the_wait(client, world):
    device = authenticator(world.a.users["operator"])
    with time_machine.travel("2026-11-23 10:00:00 +0700", tick=False) as clock:
        login(client, "operator_a")
        for _ in range(3):
            client.post(reverse("accounts:otp_verify"), {"code": "000000"})
            clock.shift(timedelta(seconds=0.3))
        device.refresh_from_db()
        assert device.throttling_failure_count == 1  # the next two were not even checked
        clock.shift(timedelta(seconds=1))
        client.post(reverse("accounts:otp_verify"), {"code": "000000"})  # checked: wait 2 s
        refused = client.post(reverse("accounts:otp_verify"), {"code": code(device)})
        assert "tunggu" in refused.content.decode().lower()
        clock.shift(timedelta(seconds=3))
        assert client.post(reverse("accounts:otp_verify"),
                           {"code": code(device)}).status_code == 302


def test_a_backup_code_works_once(client, world):
    user = world.a.users["operator"]
    authenticator(user)
    backup = mfa.new_backup_codes(user)[0]
    login(client, "operator_a")
    assert client.post(reverse("accounts:otp_verify"),
                       {"code": backup.upper()}).status_code == 302
    assert mfa.backup_codes_left(user) == mfa.BACKUP_CODE_COUNT - 1
    client.post(reverse("accounts:logout"))
    login(client, "operator_a")
    assert client.post(reverse("accounts:otp_verify"), {"code": backup}).status_code == 200


def test_new_backup_codes_replace_the_old(client, world):
    user = world.a.users["operator"]
    authenticator(user)
    old = mfa.new_backup_codes(user)
    client.force_login(user)
    response = client.post(reverse("accounts:backup_codes"))
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert StaticDevice.objects.get(user=user).token_set.count() == mfa.BACKUP_CODE_COUNT


@pytest.mark.parametrize("who", ["operator", "commander", "admin"])
def test_every_page_and_the_admin_wait_for_the_second_step(client, world, who):
    user = world.a.users[who]
    authenticator(user)
    client.force_login(user, otp=False)
    for url in (reverse("overview:home"), reverse("alerts:feed"), reverse("overview:facilities"),
                reverse("accounts:profile"), reverse("admin:index"),
                reverse("alerts:since", args=[0])):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:otp_verify")), url
    # The API and anything else than reading are refused outright.
    assert client.get("/api/v1/").status_code == 403
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.post(reverse("accounts:backup_codes")).status_code == 403
    assert client.get(reverse("core:healthz")).status_code in (200, 503)


def test_roles_without_the_requirement_need_no_code(client, world):
    client.force_login(world.a.users["field_polri"], otp=False)
    assert client.get(reverse("overview:facilities")).status_code == 200


def test_who_needs_the_second_step(world):
    users = world.a.users
    assert {name for name, user in users.items() if mfa.requires_two_factor(user)} == {
        "operator", "commander", "admin", "kpu_as_operator"}
    users["kpu"].is_staff = True  # anyone allowed into the admin
    assert mfa.requires_two_factor(users["kpu"])
    superuser = User.objects.create(username="root", full_name="Root", is_superuser=True)
    assert mfa.requires_two_factor(superuser)


def test_voluntary_enrolment_is_then_required(client, world):
    user = world.a.users["kpu"]
    authenticator(user)
    client.force_login(user, otp=False)
    assert client.get(reverse("overview:my_facilities")).status_code == 302


def test_is_satisfied_is_what_the_websocket_layer_asks(world):
    operator, kpu = world.a.users["operator"], world.a.users["kpu"]
    device = authenticator(operator)
    session = SessionStore()
    assert not mfa.is_satisfied(operator, session)
    assert mfa.is_satisfied(kpu, session)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    assert mfa.is_satisfied(operator, session)
    other = authenticator(world.a.users["commander"])
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id  # someone else's device
    assert not mfa.is_satisfied(operator, session)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    operator.is_active = False
    assert not mfa.is_satisfied(operator, session)
    from django.contrib.auth.models import AnonymousUser

    assert not mfa.is_satisfied(AnonymousUser(), session)
    operator.is_active = True
    device.delete()  # reset by an administrator
    assert not mfa.is_satisfied(operator, session)


def test_demo_authenticators_exist_only_in_demo_mode(db, settings):
    settings.DEMO_MODE = False
    user = User.objects.create(username="x", full_name="X")
    with pytest.raises(RuntimeError):
        mfa.demo_device(user, "00" * 20)
