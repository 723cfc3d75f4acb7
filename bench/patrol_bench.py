"""Patrol visits under load through the HTTP API, in cluster mode.

python -m bench.patrol_bench [--rate 20] [--seconds 60]

Starts a private Redis and one Daphne process against a scratch PostgreSQL database, gives 20
field officers a device token each, and posts checkpoint visits at a fixed rate (open loop:
each request leaves at its planned time, so a slow answer cannot hide later ones), each with
its own idempotency key. Latency is measured from the planned time. Afterwards every visit
that got a 2xx must be in the database exactly once and the hash chain must verify; a visit
whose answer never came is counted apart if it was stored.
Loopback only, bounded."""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.live_bench import ScratchDatabase, percentile, report
from tests.integration.processes import (
    Processes,
    cluster_env,
    free_port,
)

OFFICERS = 20

SETUP = """
import datetime, json
from apps.accounts.models import User
from apps.api import tokens
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation
from apps.records import tokens as labels
from apps.records.models import Checkpoint
r = Region.objects.create(name="Kota Bench", level="city", timezone="Asia/Jakarta")
polres = Agency.objects.create(name="Polres Bench", pillar="polri", unit_kind="polres", region=r)
kpu = Agency.objects.create(name="KPU Bench", pillar="kpu", unit_kind="kpu_kota", region=r)
op = Operation.objects.create(name="Op", responsible_agency=polres,
    starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2027, 12, 31))
checkpoints = []
for i in range({officers}):
    f = Facility.objects.create(name=f"Gudang {{i}}", kind="kpu_warehouse", owner_agency=kpu,
                                region=r)
    op.facilities.add(f)
    checkpoints.append(Checkpoint.objects.create(facility=f, name="Gerbang",
                                                 code=labels.new_code()))
devices = []
for i in range({officers}):
    user = User.objects.create(username=f"polisi{{i}}", full_name=f"Polisi {{i}}",
                               agency=polres)
    user.set_roles({{"field_officer"}})
    devices.append(tokens.token_create(user=user, name="HP", session_or_request={{}}).plaintext)
print(json.dumps({{"tokens": devices,
                  "labels": [labels.checkpoint_token(c) for c in checkpoints]}}))
"""

COUNT = """
import json
from apps.records.models import PatrolVisit
keys = json.load(open({keys!r}))
accepted = PatrolVisit.objects.filter(client_key__in=keys["accepted"])
print(json.dumps({{
    "rows": accepted.count(),
    "found": accepted.values("client_key").distinct().count(),
    "unanswered_stored": PatrolVisit.objects.filter(client_key__in=keys["failed"]).count(),
}}))
"""


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.accepted: list[str] = []
        self.failed: list[str] = []
        self.errors = 0


def post_visit(port: int, token: str, label: str, planned: float, results: Results) -> None:
    key = str(uuid.uuid4())
    body = json.dumps({"client_key": key, "token": label, "situation": "safe",
                       "device_time": datetime.now(UTC).isoformat(), "notes": "Aman"})
    delay = planned - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    status = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/api/patrol-visits/", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        pass
    finally:
        connection.close()
    elapsed = time.monotonic() - planned
    with results.lock:
        results.latencies.append(elapsed)
        results.statuses[status] = results.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            results.accepted.append(key)
        else:
            results.failed.append(key)
            results.errors += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="visits per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--label", default="patrol")
    args = parser.parse_args()
    with ScratchDatabase() as database_url:
        run(args, database_url)


def run(args, database_url: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="posko-patrol-bench-"))
    redis_port, web_port = free_port(), free_port()
    env = cluster_env(work, database_url=database_url, redis_port=redis_port,
                      web_port=web_port, LOG_LEVEL="WARNING")
    processes = Processes(env, work)
    results = Results()
    try:
        processes.prepare_cluster(redis_port)
        world = json.loads(processes.manage(
            "shell", "--no-imports", "-c", SETUP.format(officers=OFFICERS)).split("\n")[-2])
        processes.start_daphne(web_port)
        total = round(args.rate * args.seconds)
        start = time.monotonic() + 1.0
        with ThreadPoolExecutor(max_workers=32) as pool:
            for i in range(total):
                officer = i % OFFICERS
                pool.submit(post_visit, web_port, world["tokens"][officer],
                            world["labels"][officer], start + i / args.rate, results)
        keys_file = work / "accepted.json"
        keys_file.write_text(json.dumps({"accepted": results.accepted,
                                         "failed": results.failed}))
        counted = json.loads(processes.manage(
            "shell", "--no-imports", "-c", COUNT.format(keys=str(keys_file))).split("\n")[-2])
        verified = processes.manage("verify_records")
    finally:
        processes.stop_all()

    latencies = results.latencies
    label = args.label
    report(f"{label}_visits_offered", total, "visits")
    report(f"{label}_visits_rate", args.rate, "visits/s")
    report(f"{label}_visits_errors", results.errors, "requests")
    report(f"{label}_visits_accepted", len(results.accepted), "visits")
    report(f"{label}_visits_lost", len(results.accepted) - counted["found"], "visits")
    report(f"{label}_visits_duplicates", counted["rows"] - counted["found"], "visits")
    # A request the client gave up on may still have been stored: the device's resend with
    # the same key then gets that record back, so it is neither lost nor doubled.
    report(f"{label}_visits_stored_without_answer", counted["unanswered_stored"], "visits")
    report(f"{label}_visit_latency_p50", 1000 * statistics.median(latencies or [0]), "ms")
    report(f"{label}_visit_latency_p95", 1000 * percentile(latencies, 0.95), "ms")
    report(f"{label}_visit_latency_p99", 1000 * percentile(latencies, 0.99), "ms")
    report(f"{label}_chain_intact", 1 if "chain intact" in verified else 0, "(1 = yes)")
    if results.errors:
        print(f"# statuses: {results.statuses}", flush=True)


if __name__ == "__main__":
    main()
