"""Exactly one watcher per camera, across every worker.

A watcher holds a lease while it renews it; a lease that is not renewed expires, and the
supervisor then starts a watcher elsewhere. Each new holder gets a larger fencing token, so a
watcher that was paused past its expiry learns at its next renewal that it lost the camera and
stops. Cluster mode keeps leases in Redis (SET NX PX, compare-and-renew in Lua); embedded
mode keeps them in the database (a conditional UPDATE decides the holder)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.cameras.models import CameraLease
from apps.core.keyvalue import redis_client

LEASE_SECONDS = 15.0
KEY = "posko:lease:camera:{}"
TOKEN_KEY = "posko:lease-token:camera:{}"  # noqa: S105 - a Redis key name, not a secret


@dataclass(frozen=True)
class Lease:
    camera_id: int
    holder: str
    token: int


class LeaseStore(Protocol):
    def acquire(self, camera_id: int, holder: str) -> Lease | None: ...

    def renew(self, lease: Lease) -> bool: ...

    def release(self, lease: Lease) -> None: ...

    def holders(self, camera_ids: list[int]) -> dict[int, str]: ...


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLeases:
    def __init__(self, client, seconds: float = LEASE_SECONDS) -> None:
        self.client = client
        self.ttl_ms = int(seconds * 1000)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def _value(lease: Lease) -> str:
        return f"{lease.token}|{lease.holder}"

    def acquire(self, camera_id: int, holder: str) -> Lease | None:
        if self.client.exists(KEY.format(camera_id)):
            return None
        token = int(self.client.incr(TOKEN_KEY.format(camera_id)))
        lease = Lease(camera_id, holder, token)
        if self.client.set(KEY.format(camera_id), self._value(lease), nx=True, px=self.ttl_ms):
            return lease
        return None

    def renew(self, lease: Lease) -> bool:
        key = KEY.format(lease.camera_id)
        return bool(self._renew(keys=[key], args=[self._value(lease), self.ttl_ms]))

    def release(self, lease: Lease) -> None:
        self._release(keys=[KEY.format(lease.camera_id)], args=[self._value(lease)])

    def holders(self, camera_ids: list[int]) -> dict[int, str]:
        if not camera_ids:
            return {}
        values = self.client.mget([KEY.format(i) for i in camera_ids])
        return {
            camera_id: value.decode().split("|", 1)[1]
            for camera_id, value in zip(camera_ids, values, strict=True)
            if value
        }


class DatabaseLeases:
    def __init__(self, seconds: float = LEASE_SECONDS) -> None:
        self.duration = timedelta(seconds=seconds)

    def acquire(self, camera_id: int, holder: str) -> Lease | None:
        now = timezone.now()
        try:
            with transaction.atomic():
                CameraLease.objects.get_or_create(
                    camera_id=camera_id, defaults={"holder": "", "expires_at": now}
                )
        except IntegrityError:
            pass  # another process created it first; the update below decides
        taken = CameraLease.objects.filter(camera_id=camera_id, expires_at__lte=now).update(
            holder=holder, token=F("token") + 1, expires_at=now + self.duration
        )
        if not taken:
            return None
        token = CameraLease.objects.values_list("token", flat=True).get(camera_id=camera_id)
        return Lease(camera_id, holder, token)

    def renew(self, lease: Lease) -> bool:
        now = timezone.now()
        return bool(
            CameraLease.objects.filter(
                camera_id=lease.camera_id, holder=lease.holder, token=lease.token,
                expires_at__gt=now,
            ).update(expires_at=now + self.duration)
        )

    def release(self, lease: Lease) -> None:
        CameraLease.objects.filter(
            camera_id=lease.camera_id, holder=lease.holder, token=lease.token
        ).update(expires_at=timezone.now())

    def holders(self, camera_ids: list[int]) -> dict[int, str]:
        live = CameraLease.objects.filter(
            Q(camera_id__in=camera_ids), expires_at__gt=timezone.now()
        )
        return dict(live.values_list("camera_id", "holder"))


def lease_store() -> LeaseStore:
    return DatabaseLeases() if settings.EMBEDDED else RedisLeases(redis_client())
