"""Every main page of every role in a big city: python -m bench.city_bench [--scale 1 0.1]
[--pages PAGE ...]

Builds the city of bench.city_world in a throwaway PostgreSQL database (created and dropped
here; CITY_BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/posko_citybench) at each
scale, checks that its hash chain verifies, then asks every main page and API list as the
commander, a field officer, an operator and a KPU official (and the integrity page as the
administrator) through Django's test client, logged in past the second step: N requests after
one warm-up, the median and p95 wall time, the queries and the bytes of a response. A page a
role is not offered (its status is not 200) is named with its status. With several scales,
each runs in its own process and the growth from the smallest to the largest is printed last.

Targets: p95 ≤ 300 ms per page and API list (PDF ≤ 1 s); queries that do not grow with the
data; from a tenth of the city to the whole of it, p95 at most doubles. The exports list every
facility the role sees (ten times as many in the whole city): their growth is printed per
facility too, beside the verdict, which stays the 2× one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.coverage_bench import create_database, drop_database
from bench.live_bench import percentile

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/posko_citybench"
# 20 requests a page: the p95 of 10 would be their slowest (see live_bench.percentile).
RUNS = 20
SLOW_RUNS = 3  # for a page whose warm-up took longer than SLOW_SECONDS
SLOW_SECONDS = 5.0
# A page slower than this (the integrity page walks the whole chain) is timed once, its
# warm-up being the one sample: the run must stay within `make bench`.
ONCE_SECONDS = 30.0
TARGET_MS, PDF_TARGET_MS, GROWTH = 300.0, 1000.0, 2.0
ROLES = ("commander", "field_officer", "operator", "official")
# (name, path; {q} is the daily report's operation and day)
PAGES = (
    ("compliance", "/kepatuhan-patroli/"),
    ("coverage", "/cakupan/"),
    ("daily", "/laporan-harian/?{q}"),
    ("daily_csv", "/laporan-harian/ekspor.csv?{q}"),
    ("daily_pdf", "/laporan-harian/laporan.pdf?{q}"),
    ("patrol", "/patroli/"),
    ("access_record", "/kamera/catatan-akses/"),
    ("live", "/pantauan/"),
    ("alerts", "/peringatan/"),
    ("facilities", "/objek/"),
    ("api_view_records", "/api/view-records/"),
    ("api_patrol_visits", "/api/patrol-visits/"),
    ("api_patrols", "/api/patrols/"),
    ("api_alerts", "/api/alerts/"),
    ("api_cameras", "/api/cameras/"),
    ("api_facilities", "/api/facilities/"),
    ("api_shifts", "/api/shifts/"),
    ("api_check_ins", "/api/check-ins/"),
)
ADMIN_PAGES = (("integrity", "/integritas-catatan/"),)
# Pages whose work is per facility the role sees, whatever the window: the daily report's
# CSV and PDF list every facility (and its cameras).
PER_FACILITY = ("daily_csv", "daily_pdf")


def label(scale: float) -> str:
    return {1.0: "full", 0.1: "tenth"}.get(scale, f"x{scale:g}")


def target_ms(page: str) -> float:
    return PDF_TARGET_MS if page.endswith("_pdf") else TARGET_MS


def _request(client, url: str) -> tuple[int, float, int, int]:
    """(status, seconds, queries, bytes) of one GET, the body read to its end."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # when full, it would hide this request's queries
    with CaptureQueriesContext(connection) as captured:
        t0 = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - t0
    return response.status_code, elapsed, len(captured.captured_queries), len(body)


def measure(client, url: str) -> dict:
    """One warm-up, then RUNS requests (SLOW_RUNS when the warm-up was slow, none when it
    was very slow: then the warm-up is the one sample)."""
    status, warm, queries, size = _request(client, url)
    if status != 200:
        return {"status": status}
    runs = 0 if warm > ONCE_SECONDS else SLOW_RUNS if warm > SLOW_SECONDS else RUNS
    samples = [_request(client, url) for _ in range(runs)] or [(status, warm, queries, size)]
    times = [elapsed for _status, elapsed, _queries, _size in samples]
    return {"status": 200, "n": len(times), "p50_ms": statistics.median(times) * 1000,
            "p95_ms": percentile(times, 0.95) * 1000,
            "queries": max(queries for _status, _elapsed, queries, _size in samples),
            "bytes": samples[-1][3]}


def print_figure(name: str, page: str, figure: dict) -> None:
    if figure["status"] != 200:
        print(f"bench: {name} = status {figure['status']} (not offered to this role)",
              flush=True)
        return
    target = target_ms(page)
    verdict = "met" if figure["p95_ms"] <= target else "NOT met"
    print(f"bench: {name} = p50 {figure['p50_ms']:.0f} ms, p95 {figure['p95_ms']:.0f} ms, "
          f"{figure['queries']} queries, {figure['bytes'] / 1024:.1f} KiB "
          f"(n={figure['n']}; target p95 ≤ {target:.0f} ms: {verdict})", flush=True)


def logged_in(user):
    """A test client past both login steps, as the test suite's client fixture does it."""
    from django.test import Client

    from tests.conftest import verify_otp

    client = Client()
    client.force_login(user)
    verify_otp(client, user)
    return client


def run_scale(scale: float, url: str, pages: list[str] | None = None) -> dict[str, dict]:
    os.environ["DATABASE_URL"] = url
    witness = tempfile.mkdtemp(prefix="posko-citybench-witness-")
    os.environ["ANCHOR_WITNESS_DIR"] = witness
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    create_database(url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from apps.access import policy
        from apps.places.models import Facility
        from apps.records.chain import chain_verify
        from bench.city_world import build_city

        name = f"city_{label(scale)}"
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        city = build_city(scale, datetime.now(UTC))
        print(f"bench: {name}_build = {time.perf_counter() - t0:.0f} s "
              f"({', '.join(f'{v:,} {k}' for k, v in city.counts.items())})", flush=True)
        with connections["default"].cursor() as cursor:
            # The statistics autovacuum keeps on a live database: without them the planner
            # takes a freshly filled table for an empty one.
            cursor.execute("VACUUM ANALYZE")
            # ... and the build's gigabyte of writes flushed now, not by a checkpoint that
            # lands among the timed requests (it made single requests of the whole city's
            # first pages several times slower than their median).
            cursor.execute("CHECKPOINT")
        t0 = time.perf_counter()
        verified = chain_verify(check_files=False)
        print(f"bench: {name}_chain = {verified.entries:,} entries, "
              f"{len(verified.problems)} problems, verified in {time.perf_counter() - t0:.1f} s",
              flush=True)
        if not verified.ok:
            print(f"bench: {name}_chain first problem: {verified.first}", file=sys.stderr)
            return {}
        yesterday = (city.now.astimezone(city.zone) - timedelta(days=1)).date()
        query = f"operation={city.operation_id}&day={yesterday.isoformat()}"
        figures = {}
        visits = [(role, PAGES) for role in ROLES] + [("admin", ADMIN_PAGES)]
        if pages:
            visits = [(role, [p for p in listed if p[0] in pages]) for role, listed in visits]
        for role, pages in visits:
            client = logged_in(city.users[role])
            seen = policy.scope(city.users[role], Facility.objects.all()).count()
            for page, path in pages:
                key = f"{role}_{page}"
                figures[key] = measure(client, path.format(q=query))
                if page in PER_FACILITY:
                    figures[key]["facilities"] = seen
                print_figure(f"{name}_{key}", page, figures[key])
        for conn in connections.all():
            conn.close()
            close_pool = getattr(conn, "close_pool", None)
            if close_pool:
                close_pool()
        return figures
    finally:
        drop_database(url)
        shutil.rmtree(witness, ignore_errors=True)


def print_growth(small: float, large: float, before: dict, after: dict) -> None:
    for key, figure in after.items():
        earlier = before.get(key)
        if not earlier or figure["status"] != 200 or earlier["status"] != 200:
            continue
        growth = figure["p95_ms"] / max(earlier["p95_ms"], 0.001)
        bounded = figure["queries"] <= earlier["queries"]
        verdict = "met" if growth <= GROWTH and bounded else "NOT met"
        listed = ""
        if figure.get("facilities") and earlier.get("facilities"):
            more = figure["facilities"] / earlier["facilities"]
            listed = (f"; lists every facility the role sees, {earlier['facilities']} → "
                      f"{figure['facilities']}: p95 per facility ×{growth / more:.2f}")
        print(f"bench: city_growth_{key} = p95 ×{growth:.2f} ({label(small)} → "
              f"{label(large)}), queries {earlier['queries']} → {figure['queries']} "
              f"(target ≤ {GROWTH:g}×, queries not growing: {verdict}{listed})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0, 0.1])
    parser.add_argument("--results", help="write the figures of the one scale here (JSON)")
    parser.add_argument("--pages", nargs="+", choices=[name for name, _path in PAGES + ADMIN_PAGES],
                        help="ask these pages only (the city is built whole all the same)")
    args = parser.parse_args(argv)
    url = os.environ.get("CITY_BENCH_DATABASE_URL", DEFAULT_URL)
    if len(args.scale) == 1:
        figures = run_scale(args.scale[0], url, args.pages)
        if args.results:
            Path(args.results).write_text(json.dumps(figures))
        return 0 if figures else 1
    results, failed = {}, 0
    with tempfile.TemporaryDirectory() as folder:
        for scale in sorted(args.scale):  # the small one first: its figures come sooner
            out = Path(folder) / f"{scale}.json"
            only = ["--pages", *args.pages] if args.pages else []
            run = subprocess.run([sys.executable, "-m", "bench.city_bench", "--scale",
                                  str(scale), "--results", str(out), *only], check=False)
            failed += run.returncode != 0
            results[scale] = json.loads(out.read_text()) if out.exists() else {}
    scales = sorted(s for s in results if results[s])
    if len(scales) >= 2:
        print_growth(scales[0], scales[-1], results[scales[0]], results[scales[-1]])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
