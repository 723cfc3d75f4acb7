"""Recording cost: python -m bench.recording_bench [--quick]

Two watchers' readers (StreamReader with the watcher's analysis pipeline, bench.vision_bench)
read the same live RTSP stream of the simulator (1280x720, 15 fps, 2 Mbit/s, someone walking
through the gate) at the same time, in one process pinned to one core (the simulator runs in
another process, on another core when there is one): one records continuously by stream copy
(apps.vision.recorder, the production segment length), the other does not. Each reader's
own thread CPU time is measured; the roles swap every round, so neither reader's position
favours it. Reports:
  - recording_overhead_ratio: CPU of the recording watcher over the plain one (median of the
    rounds, target <= 1.03), with its lowest and highest round;
  - recording_bytes_over_stream_ratio: bytes of the segment files over the bytes of the
    stream's own packets from the first keyframe on (target <= 1.02), and bytes written per
    camera-hour.
Two threads on one core disturb each other's measurement, so the same comparison is also made
one run at a time on a file of the same stream (a minute, one production segment: its opening,
closing and SHA-256 are counted; 10 s with --quick), alternating with and without recording:
  - recording_overhead_file_ratio: median of the pairs (and its lowest and highest);
  - recording_overhead_recorder_ratio: 1 + the recorder's own CPU (timed call by call in the
    recording run) over the plain watcher's: the overhead without two runs' noise.
Prints `bench: <name> = <value> <unit>` lines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import av
import cv2

from apps.vision.recorder import Recorder, SegmentFlags
from apps.vision.recordgate import RecordMode
from apps.vision.recording import DEFAULT_MAX_SECONDS, Segment
from apps.vision.source import Backoff, SourceConfig, SourceKind, StreamState
from apps.vision.stream import StreamReader
from apps.vision.videocapture import enable_file_sources
from bench.vision_bench import (
    BITRATE,
    FPS,
    HEIGHT,
    LOOPBACK,
    WIDTH,
    _one_core,
    _simulator_url,
    analysis,
    make_clip,
    report,
)


class CountingRecorder(Recorder):
    """The recorder, counting the bytes of the stream's packets it is handed from the first
    keyframe on (what continuous recording keeps). Counted where the recorder takes up its
    queued packets, a keyframe's group at a time: counting in `video_packet` would add a call
    of the bench's own to every packet of the measured reader."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stream_bytes = 0
        self._started = False

    def _offer_video(self, packet: av.Packet, received: datetime) -> None:
        # From the first keyframe with a timestamp (RTSP's very first packet may have none:
        # nothing can time it, so no recording starts there).
        timed = packet.dts is not None or packet.pts is not None
        self._started = self._started or (packet.is_keyframe and timed)
        if self._started:
            self.stream_bytes += packet.size
        super()._offer_video(packet, received)


class Finished:
    def __init__(self) -> None:
        self.segments: list[Segment] = []

    def __call__(self, segment: Segment, flags: SegmentFlags) -> None:
        self.segments.append(segment)
        segment.path.unlink()  # stored elsewhere in production; the bench keeps the spool small


def thread_cpu(thread: threading.Thread) -> float:
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def one_round(url: str, seconds: float, folder: Path, recording_first: bool,
              segment_seconds: float) -> tuple[float, float, CountingRecorder, Finished]:
    """(CPU s of the recording reader, CPU s of the plain one, its recorder, its segments)."""
    finished = Finished()
    recorder = CountingRecorder(folder, RecordMode.CONTINUOUS, finished,
                                max_seconds=segment_seconds, label="bench")
    stop = threading.Event()

    def reader(with_recorder: bool) -> StreamReader:
        return StreamReader(SourceConfig(url, SourceKind.RTSP, label="bench", expected_fps=FPS),
                            analysis().process, stop, policy=LOOPBACK,
                            backoff=Backoff(first=0.5, maximum=2.0),
                            recorder=recorder if with_recorder else None)

    roles = [True, False] if recording_first else [False, True]
    readers = {role: reader(role) for role in roles}
    threads = {role: threading.Thread(target=readers[role].run, daemon=True) for role in roles}
    for role in roles:
        threads[role].start()
    deadline = time.monotonic() + 30
    while not all(r.health().state == StreamState.ONLINE for r in readers.values()):
        if time.monotonic() > deadline:
            raise RuntimeError("readers did not come online")
        time.sleep(0.2)
    time.sleep(2.0)  # the burst of buffered frames after opening
    started = {role: thread_cpu(threads[role]) for role in roles}
    frames = {role: readers[role].health().frames for role in roles}
    time.sleep(seconds)
    used = {role: thread_cpu(threads[role]) - started[role] for role in roles}
    frames = {role: readers[role].health().frames - frames[role] for role in roles}
    if abs(frames[True] - frames[False]) > FPS:  # more than a second apart: not comparable
        raise RuntimeError(f"the readers decoded {frames} frames")
    stop.set()
    for thread in threads.values():
        thread.join(timeout=10)
    recorder.closed()  # the open segment is finished (the stopped reader already did)
    return used[True], used[False], recorder, finished


class TimedRecorder(Recorder):
    """The recorder, timing its own calls (CPU seconds of the calling thread) inside the
    reader that feeds it: in a loop of their own they would run with their code and data
    in the CPU's caches, which a reader's decoding between two packets evicts. The timing
    itself (two clock reads a call) is charged to the recording run."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cpu = 0.0

    def video_opened(self, stream: av.video.stream.VideoStream) -> None:
        started = time.thread_time()
        super().video_opened(stream)
        self.cpu += time.thread_time() - started

    def video_packet(self, packet: av.Packet, received: datetime) -> None:
        started = time.thread_time()
        super().video_packet(packet, received)
        self.cpu += time.thread_time() - started

    def closed(self) -> None:
        started = time.thread_time()
        super().closed()
        self.cpu += time.thread_time() - started


def file_run(clip: Path, folder: Path, record: bool) -> tuple[float, float]:
    """CPU seconds of one watcher's reader over the whole file, recording or not, and of
    the recorder's own calls in it (its gate, the muxer, the segment's opening, closing and
    SHA-256; 0 when not recording)."""
    recorder = None
    if record:
        recorder = TimedRecorder(folder, RecordMode.CONTINUOUS, Finished(),
                                 max_seconds=DEFAULT_MAX_SECONDS, label="bench")
    reader = StreamReader(SourceConfig(clip.as_uri(), SourceKind.FILE, label="bench"),
                          analysis().process, policy=LOOPBACK, recorder=recorder)
    started = time.process_time()
    reader.run()
    return time.process_time() - started, recorder.cpu if recorder is not None else 0.0


def file_benchmark(seconds: float, pairs: int) -> None:
    enable_file_sources()
    ratios: list[float] = []
    shares: list[float] = []
    with tempfile.TemporaryDirectory(prefix="posko-recording-bench-") as folder:
        clip = Path(folder) / "clip.mp4"
        make_clip(clip, seconds)
        for index in range(pairs):
            order = (False, True) if index % 2 == 0 else (True, False)
            runs = {record: file_run(clip, Path(folder) / "segments", record)
                    for record in order}
            ratios.append(runs[True][0] / runs[False][0])
            shares.append(runs[True][1] / runs[False][0])
    report("recording_overhead_file_ratio", statistics.median(ratios), "x")
    report("recording_overhead_file_ratio_min", min(ratios), "x")
    report("recording_overhead_file_ratio_max", max(ratios), "x")
    # The recorder's own CPU added to the watcher's: the overhead without the noise of two
    # whole runs on a shared machine.
    report("recording_overhead_recorder_ratio", 1 + statistics.median(shares), "x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 15 s")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=65.0, help="per round")
    args = parser.parse_args(argv)
    rounds, seconds = (3, 15.0) if args.quick else (args.rounds, args.seconds)
    # Quick rounds are shorter than the production segment: cut shorter, so the cost of
    # finishing a segment (closing it, its SHA-256) is still counted.
    segment_seconds = 10.0 if args.quick else DEFAULT_MAX_SECONDS
    cv2.setNumThreads(1)
    cpus = sorted(os.sched_getaffinity(0))
    simulator = subprocess.Popen(
        [sys.executable, "-m", "apps.camsim", "--camera", "live", "--size", f"{WIDTH}x{HEIGHT}",
         "--fps", str(FPS), "--bitrate", str(BITRATE), "--person", "--http-port", "0",
         "--rtsp-port", "0"], stdout=subprocess.PIPE, text=True)
    ratios: list[float] = []
    stream_bytes = written = 0
    try:
        if len(cpus) > 1:
            os.sched_setaffinity(simulator.pid, cpus[1:])
            os.sched_setaffinity(0, cpus[:1])
        url = _simulator_url(simulator)
        with tempfile.TemporaryDirectory(prefix="posko-recording-bench-") as folder:
            for index in range(rounds):
                recording, plain, recorder, finished = one_round(
                    url, seconds, Path(folder), index % 2 == 0, segment_seconds)
                ratios.append(recording / plain)
                stream_bytes += recorder.stream_bytes
                written += sum(s.bytes for s in finished.segments)
    finally:
        os.sched_setaffinity(0, cpus)
        simulator.terminate()
        simulator.wait(timeout=10)
    report("recording_overhead_ratio", statistics.median(ratios), "x")
    report("recording_overhead_ratio_min", min(ratios), "x")
    report("recording_overhead_ratio_max", max(ratios), "x")
    report("recording_overhead_rounds", rounds, "rounds")
    report("recording_bytes_over_stream_ratio", written / stream_bytes, "x")
    report("recording_bytes_per_camera_hour_at_2_mbit",
           written / stream_bytes * BITRATE / 8 * 3600 / 1e9, "GB")
    with _one_core():  # a file plays in real time: a minute per run
        file_benchmark(10.0 if args.quick else DEFAULT_MAX_SECONDS, 2 if args.quick else 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
