"""`make bench`: every benchmark of the project, one after another, printing
`bench: <name> = <value> <unit>` lines. BENCH_QUICK=1 shortens the long runs."""

from __future__ import annotations

import os
import subprocess
import sys

QUICK = os.environ.get("BENCH_QUICK") == "1"

RUNS = [
    ["bench.vision_bench", *(["--quick"] if QUICK else ["--memory-minutes", "10"])],
    ["bench.decode_bench", *(["--quick"] if QUICK else [])],
    ["bench.recording_bench", *(["--quick"] if QUICK else [])],
    ["bench.coverage_bench"],
    ["bench.live_bench", "--seconds", "20" if QUICK else "60"],
    ["bench.live_bench", "--viewers", "200", "--cameras", "1", "--seconds",
     "20" if QUICK else "60", "--label", "load_viewers"],
    ["bench.live_bench", "--video", "--viewers", "10", "--seconds", "20" if QUICK else "60",
     "--label", "live_video"],
    ["bench.patrol_bench", "--rate", "20", "--seconds", "20" if QUICK else "60"],
    ["bench.patrol_bench", "--rate", "50", "--seconds", "10", "--label", "patrol_burst"],
    ["bench.city_bench", "--scale", *(["0.1"] if QUICK else ["1.0", "0.1"])],
    ["bench.push_bench"],
    ["bench.escalation_bench"],
    ["bench.escalation_bench", "--cluster"],
    ["bench.offline_bench", "--trials", "1" if QUICK else "3"],
    ["bench.rendition_bench", "--seconds", "20" if QUICK else "60"],
    ["bench.playback_bench"],
]


def main() -> int:
    failures = 0
    for module, *args in RUNS:
        print(f"# {module} {' '.join(args)}", flush=True)
        result = subprocess.run([sys.executable, "-m", module, *args], check=False)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
