"""The garbage collector's pace for a portal process.

Python's default (a young collection every 700 allocations, a full one every 100 young
ones) makes a full collection of every object the process holds — Django, its apps and
templates, ~200,000 tracked objects — land inside a request every few requests: 140–300 ms
of a city's daily report page on this machine kind, most of its p95 (bench.city_bench).
Objects made by a request rarely outlive it, so young collections can run far less often
and full ones almost never; reference cycles are still collected, in bigger batches.
"""

from __future__ import annotations

import gc

# (young, middle, old): a young collection every 50,000 net allocations; a middle one
# every 20 young ones; a full one every 20 middle ones.
THRESHOLDS = (50_000, 20, 20)


def pace_for_requests() -> None:
    gc.set_threshold(*THRESHOLDS)
