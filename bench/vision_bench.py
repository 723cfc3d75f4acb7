"""Frame-analysis cost: python -m bench.vision_bench [--quick] [--memory-minutes N]

Measures, single-threaded decode, on the simulator's gate scene at 1280x720, 15 fps, 2 Mbit/s:
  (a) decode-only CPU per frame and per camera-second, from an H.264 file, with the reader's
      decoder (PyAV) and, for comparison, OpenCV's grab();
  (b) the full pipeline (decode every frame, motion at 5 fps, tamper checks every second, a
      masked snapshot a second) through StreamReader, and its ratio to (a) (target <= 1.10): the
      median over pairs of interleaved runs on one core, with its quartiles;
  (c) cameras per core over live RTSP: 16 readers as threads in one process, the simulator in
      another process (its encoding is not counted);
  (d) memory per watched camera, and RSS growth once the evidence rings are full.
Prints `bench: <name> = <value> <unit>` lines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import cv2

from apps.camsim.clip import write_clip
from apps.camsim.scene import SceneRenderer, SceneState
from apps.core.netguard import UrlPolicy
from apps.vision.geometry import polygon
from apps.vision.motion import Zone
from apps.vision.pipeline import CameraPipeline, PipelineConfig
from apps.vision.source import Backoff, SourceConfig, SourceKind, StreamState
from apps.vision.stream import StreamReader
from apps.vision.videocapture import enable_file_sources, ffmpeg_options
from tests.vision.sinks import NullSink

WIDTH, HEIGHT, FPS, BITRATE = 1280, 720, 15.0, 2_000_000
LIVE_CAMERAS = 16
LOOPBACK = UrlPolicy.from_strings(["127.0.0.0/8"], allow_file=True)
GATE = Zone("gate", polygon([(0.3, 0.3), (0.7, 0.3), (0.7, 1.0), (0.3, 1.0)]))
PRIVACY = (polygon([(0.75, 0.0), (1.0, 0.0), (1.0, 0.3), (0.75, 0.3)]),)


def report(name: str, value: float, unit: str) -> None:
    # Four digits: with three, a ratio of 1.104 against its target of 1.10 would print as 1.1.
    print(f"bench: {name} = {value:.4g} {unit}", flush=True)


def analysis() -> CameraPipeline:
    """The watcher's pipeline with a 1 Hz snapshot, as when someone watches live."""
    config = PipelineConfig(motion_zones=(GATE.polygon,), privacy_masks=PRIVACY,
                            live_interval=1.0, idle_interval=1.0)
    return CameraPipeline(config, NullSink(), is_live=lambda: True)


def make_clip(path: Path, seconds: float, keyint: int = 0) -> int:
    renderer = SceneRenderer(WIDTH, HEIGHT, "bench-gate")
    state = SceneState(person=True)
    start = time.time()
    frames = (
        renderer.render(state, i / FPS, datetime.fromtimestamp(start + i / FPS))
        for i in range(round(seconds * FPS))
    )
    return write_clip(path, frames, FPS, BITRATE, keyint)


def decode_only(path: Path) -> tuple[float, int]:
    """CPU seconds to open the file and decode every frame with the reader's decoder (FFmpeg
    through PyAV, the reader's input options, one thread, no pixel conversion), and the frame
    count: the floor."""
    # Opening is timed too, as it is in full_pipeline (StreamReader.run opens the file).
    started = time.process_time()
    container = av.open(str(path), options=ffmpeg_options(SourceKind.FILE))
    video = container.streams.video[0]
    video.thread_type = "NONE"
    video.codec_context.thread_count = 1
    count = sum(1 for _ in container.decode(video))
    cpu = time.process_time() - started
    container.close()
    return cpu, count


def decode_only_opencv(path: Path) -> float:
    """The same with OpenCV's VideoCapture.grab(), for comparison: OpenCV has no way to hand
    over a decoded frame without converting it to BGR, which is why the reader uses PyAV."""
    started = time.process_time()
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    while capture.grab():
        pass
    cpu = time.process_time() - started
    capture.release()
    return cpu


def full_pipeline(path: Path) -> tuple[float, int]:
    source = SourceConfig(f"file://{path}", SourceKind.FILE, realtime=False)
    reader = StreamReader(source, analysis().process, policy=LOOPBACK)
    started = time.process_time()
    reader.run()
    cpu = time.process_time() - started
    return cpu, reader.health().frames


def file_benchmarks(seconds: float, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gate.mp4"
        frames = make_clip(path, seconds)
        report("vision_clip_bitrate", path.stat().st_size * 8 / seconds / 1e6, "Mbit/s")
        # Interleaved, so that a busy moment of the machine weighs on all three alike, and on
        # one core, as a capture worker's thread would be.
        decode, opencv, full = [], [], []
        with _one_core():
            for _ in range(runs):
                opencv.append(decode_only_opencv(path))
                decode.append(decode_only(path)[0])
                full.append(full_pipeline(path)[0])
    per_frame = statistics.median(decode) / frames * 1000
    report("vision_decode_only_cpu_per_frame", per_frame, "ms")
    report("vision_decode_only_cpu_per_camera_second", per_frame * FPS, "ms")
    report("vision_decode_only_opencv_cpu_per_frame",
           statistics.median(opencv) / frames * 1000, "ms")
    full_per_frame = statistics.median(full) / frames * 1000
    report("vision_full_pipeline_cpu_per_frame", full_per_frame, "ms")
    report("vision_full_pipeline_cpu_per_camera_second", full_per_frame * FPS, "ms")
    # Each full run is compared with the decode-only run right before it, and the ratio is
    # the median of those pairs: on a shared machine the neighbours slow a whole run by up to
    # a tenth at random, more than the difference measured; the quartiles show how much.
    pairs = sorted(f / d for d, f in zip(decode, full, strict=True))
    report("vision_full_over_decode_ratio", statistics.median(pairs), "x")
    report("vision_full_over_decode_ratio_q1", pairs[len(pairs) // 4], "x")
    report("vision_full_over_decode_ratio_q3", pairs[(3 * len(pairs)) // 4], "x")
    report("vision_full_over_opencv_decode_ratio",
           statistics.median(f / o for o, f in zip(opencv, full, strict=True)), "x")
    report("vision_cameras_per_core_file", 1000 / (full_per_frame * FPS), "cameras")


@contextlib.contextmanager
def _one_core() -> Iterator[None]:
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cpus)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def watch_live(url: str, cameras: int, cpu_seconds: float, memory_seconds: float) -> dict:
    """Child process: watch `url` with `cameras` readers; CPU share and RSS figures."""
    baseline = rss_mib()
    stop = threading.Event()
    readers = [
        StreamReader(
            SourceConfig(url, SourceKind.RTSP, label=f"bench-{i}", expected_fps=FPS),
            analysis().process,
            stop,
            policy=LOOPBACK,
            backoff=Backoff(first=0.5, maximum=2.0),
        )
        for i in range(cameras)
    ]
    threads = [threading.Thread(target=r.run, daemon=True) for r in readers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while not all(r.health().state == StreamState.ONLINE for r in readers):
        if time.monotonic() > deadline:
            raise RuntimeError("readers did not come online")
        time.sleep(0.2)
    time.sleep(2.0)  # let the burst of buffered frames after opening pass
    frames_before = [r.health().frames for r in readers]
    wall_started, cpu_started = time.monotonic(), time.process_time()
    time.sleep(cpu_seconds)
    wall = time.monotonic() - wall_started
    cpu = time.process_time() - cpu_started
    fps = [(r.health().frames - n) / wall for r, n in zip(readers, frames_before, strict=True)]
    # By now each camera's ring of evidence frames (clip_before seconds) is full: what the
    # process gains from here on is growth, not filling.
    warm_rss, warm_at = rss_mib(), time.monotonic()
    time.sleep(max(0.0, memory_seconds - cpu_seconds))
    end_rss, watched = rss_mib(), time.monotonic() - warm_at
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    return {
        "cpu": cpu,
        "wall": wall,
        "min_fps": min(fps),
        "reconnects": sum(r.health().reconnects for r in readers),
        "baseline_rss": baseline,
        "warm_rss": warm_rss,
        "end_rss": end_rss,
        "watched": watched,
    }


def live_benchmarks(cameras: int, cpu_seconds: float, memory_seconds: float) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    simulator = subprocess.Popen(
        [
            sys.executable, "-m", "apps.camsim", "--camera", "live",
            "--size", f"{WIDTH}x{HEIGHT}", "--fps", str(FPS), "--bitrate", str(BITRATE),
            "--person", "--http-port", "0", "--rtsp-port", "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if len(cpus) > 1:
            # Keep the simulator's encoding off the core the readers are measured on.
            os.sched_setaffinity(simulator.pid, cpus[1:])
        url = _simulator_url(simulator)
        child = subprocess.run(
            [
                sys.executable, "-m", "bench.vision_bench", "--live-child", url,
                "--cameras", str(cameras), "--cpu-seconds", str(cpu_seconds),
                "--memory-seconds", str(memory_seconds),
            ],
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus[:1])) if len(cpus) > 1 else None,
        )
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    share = result["cpu"] / result["wall"]
    report("vision_live_rtsp_cameras", cameras, "cameras")
    report("vision_live_rtsp_cpu_per_camera_second", share / cameras * 1000, "ms")
    report("vision_live_rtsp_cameras_per_core", cameras / share, "cameras")
    report("vision_live_rtsp_min_fps", result["min_fps"], "fps")
    report("vision_live_rtsp_reconnects", result["reconnects"], "reconnects")
    report(
        "vision_memory_per_camera", (result["end_rss"] - result["baseline_rss"]) / cameras, "MiB"
    )
    growth = result["end_rss"] - result["warm_rss"]
    report("vision_memory_growth_while_watching", growth, "MiB")
    report("vision_memory_watch_period", result["watched"] / 60, "min")
    if result["watched"] > 0:
        report("vision_memory_growth_per_camera_hour",
               growth / cameras * 3600 / result["watched"], "MiB")


def _simulator_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    url = None
    for line in process.stdout:
        parts = line.split()
        if parts[:2] == ["live", "rtsp"]:
            url = parts[2]
        if line.strip() == "ready":
            break
    if url is None:
        raise RuntimeError("the simulator did not print its RTSP URL")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter clip and live runs")
    parser.add_argument("--memory-minutes", type=float, default=1.0)
    parser.add_argument("--cameras", type=int, default=LIVE_CAMERAS)
    parser.add_argument("--live-child", help=argparse.SUPPRESS)
    parser.add_argument("--cpu-seconds", type=float, default=20.0, help=argparse.SUPPRESS)
    parser.add_argument("--memory-seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # One OpenCV worker thread, as in a capture worker: with cameras already on their own
    # threads, OpenCV splitting each small resize over cores only adds overhead.
    cv2.setNumThreads(1)
    enable_file_sources()
    if args.live_child:
        result = watch_live(args.live_child, args.cameras, args.cpu_seconds, args.memory_seconds)
        print(json.dumps(result))
        return 0
    clip_seconds, runs, cpu_seconds = (6.0, 3, 8.0) if args.quick else (20.0, 15, 20.0)
    memory_minutes = min(args.memory_minutes, 0.25) if args.quick else args.memory_minutes
    file_benchmarks(clip_seconds, runs)
    live_benchmarks(args.cameras, cpu_seconds, max(cpu_seconds, memory_minutes * 60))
    return 0


if __name__ == "__main__":
    sys.exit(main())
