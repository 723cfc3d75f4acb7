"""What the live benchmarks make inside a portal process (`manage.py shell`): their small
world (a city, its Polres and KPU, an operation) and signed-in sessions for their
websockets, past both login steps, as a real sign-in leaves them."""

from __future__ import annotations

import time


def signed_in_session(user) -> str:
    """A new session key for `user`; a role that needs the second step has passed it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from apps.accounts import mfa
    from apps.accounts.sessions import AUTHENTICATED_AT, SEEN_AT

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[AUTHENTICATED_AT] = store[SEEN_AT] = time.time()
    if mfa.requires_two_factor(user):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench",
                                                     defaults={"confirmed": True})
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return store.session_key


def bench_world(facility: str = "Gudang Bench"):
    """(facility, Polres, KPU official): a KPU warehouse of the city "Kota Bench" in a running
    operation of its Polres, and an official of the KPU that owns it (who shares cameras)."""
    import datetime

    from apps.accounts.models import User
    from apps.org.models import Agency, Region
    from apps.places.models import Facility, Operation

    city = Region.objects.create(name="Kota Bench", level="city", timezone="Asia/Jakarta")
    polres = Agency.objects.create(name="Polres Bench", pillar="polri", unit_kind="polres",
                                   region=city)
    kpu = Agency.objects.create(name="KPU Bench", pillar="kpu", unit_kind="kpu_kota",
                                region=city)
    warehouse = Facility.objects.create(name=facility, kind="kpu_warehouse", owner_agency=kpu,
                                        region=city)
    operation = Operation.objects.create(name="Op", responsible_agency=polres,
                                         starts_on=datetime.date(2026, 1, 1),
                                         ends_on=datetime.date(2027, 12, 31))
    operation.facilities.add(warehouse)
    official = User.objects.create(username="kpu.bench", full_name="KPU", agency=kpu)
    official.set_roles({"facility_official"})
    return warehouse, polres, official
