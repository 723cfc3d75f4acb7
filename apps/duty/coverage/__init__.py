"""Guard coverage arithmetic for "Penjagaan 1x24 jam" (pure Python, no Django).

Answers, for a set of facilities over a period: how many guards were required, rostered and
actually present, hour by hour in each facility's local time; where and how long the standard
was not met; and when a facility was neither guarded well enough nor watched by a camera.

Everything works on half-open intervals ``[start, end)``. Inputs must be timezone-aware; all
results are in UTC. The modules, by concern:

* ``intervals``: ``Interval``, microsecond instants and interval set arithmetic;
* ``model``: the inputs and results, with the definitions of the measures;
* ``calendar``: facility-local hours and daily bands, the requirement pieces of a post;
* ``people``: one head per person, double bookings and pillar conflicts;
* ``timeline``: the sweep into segments of constant headcount, and what is read off it;
* ``compute``: ``compute_coverage``, the entry point.

This file only hands on the public names, so ``from apps.duty import coverage`` keeps working.
"""

from apps.duty.coverage.compute import compute_coverage
from apps.duty.coverage.intervals import (
    Interval,
    intersect_intervals,
    merge_intervals,
    subtract_intervals,
    total_duration,
)
from apps.duty.coverage.model import (
    DEFAULT_MISSING_CHECKOUT_CAP,
    DEFAULT_MISSING_CHECKOUT_GRACE,
    CameraUp,
    CoverageReport,
    FacilityCoverage,
    FacilityInput,
    Flag,
    Gap,
    HourCell,
    HourStatus,
    PostCoverage,
    Presence,
    Shift,
    Standard,
)

__all__ = [
    "DEFAULT_MISSING_CHECKOUT_CAP",
    "DEFAULT_MISSING_CHECKOUT_GRACE",
    "CameraUp",
    "CoverageReport",
    "FacilityCoverage",
    "FacilityInput",
    "Flag",
    "Gap",
    "HourCell",
    "HourStatus",
    "Interval",
    "PostCoverage",
    "Presence",
    "Shift",
    "Standard",
    "compute_coverage",
    "intersect_intervals",
    "merge_intervals",
    "subtract_intervals",
    "total_duration",
]
