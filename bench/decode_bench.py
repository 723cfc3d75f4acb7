"""Decoding what is needed (issue 20): python -m bench.decode_bench [--quick]

On the gate clip of bench.vision_bench (1280x720, 15 fps, 2 Mbit/s, someone walking by), one
core, each camera read through StreamReader and its pipeline as a watcher runs them:
  (a) CPU per camera-second of each role (armed: motion alerts; watched live: a snapshot a
      second; idle: a snapshot every 10 s) fully decoded and in the mode
      apps.vision.decoding.needed_mode gives it (armed: full; watched: every keyframe when
      they come a second apart, full when 2 s apart; idle: the keyframes needed), for
      keyframe intervals of 1 and 2 s, in steady state (the first WARM_UP seconds of the
      clip not counted); the city mix of 16
      cameras (2 armed, 2 watched, 12 idle) over the same 16 all fully decoded, and cameras
      per core for the mix;
  (b) tamper detection delay per kind on the labelled tamper clips (apps.camsim.clip) with
      keyframes 1 and 2 s apart, the tamper starting right after one (the worst case),
      keyframe mode and, for comparison, full decoding (2 s); in keyframe mode also with the
      tamper starting right after a look (`after_look`: the longest wait for the next one);
  (c) motion on an armed camera: the same events at the same moments as before the decoding
      switch existed (an armed camera decodes in full);
  (d) the same mix live: 16 readers of the simulator's RTSP stream (720p, a keyframe a
      second) in a child process on one core, the mix against all 16 decoding in full, and
      the mix with its watched cameras watched by passthrough (f); and what the RTSP relays'
      threads take of the mix (apps.vision.rtsprelay: per camera-second and as a share);
  (e) the coarse motion marker's own cost per keyframe looked at (apps.vision.pipeline: two
      small grey pictures of the 720p gate compared; (a) and (d) include it for the idle and
      watched cameras);
  (f) the idle camera's cadence (`idle_cadence_benchmarks`): its CPU per camera-second and
      looks per minute with a look every 10 s (KEYFRAME_LOOK, as a watcher sets it for the
      default idle snapshot and timeline intervals) against every 5 s (the cadence before;
      every 6 s with keyframes 2 s apart), interleaved; the mix with the 5-s cadence, and
      the mix *projected* with the watched cameras at an idle camera's cost (what H.264
      passthrough to unmasked live viewers would give: no decoding for them beyond an idle
      camera's); where an idle camera's CPU goes (`idle_breakdown`: the keyframe's
      decoding, the snapshot JPEG, the analysis, the demuxing, the bitstream arithmetic, the
      reader's own per-packet work) and what the decoder's `flags2=+fast` would save on a
      keyframe.
  (g) the mix of (a) with its 2 watched cameras watched by passthrough instead
      (apps.vision.livemux: the camera's own video to the browser), each costing an idle
      camera's decoding plus the live muxer and sending a fragment per frame to the channel
      layer, beside (a)'s figure; the muxer's own CPU per camera-second and the bytes its
      fragments add to the camera's; the CPU to send one message (a batch of fragments) to
      channels-redis from a loop that stays (apps.core.push's sender) and, for comparison,
      through async_to_sync as the snapshots go (BENCH_REDIS_URL, default
      redis://127.0.0.1:6379/0; without a Redis the mix counts muxing only).
Prints `bench: <name> = <value> <unit>` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import av
import cv2

from apps.camsim.clip import TAMPER_CHANGES, write_tamper_clip
from apps.camsim.scene import SceneRenderer, SceneState
from apps.vision.decoding import (
    KEYFRAME_LOOK,
    DecodeMode,
    DecodeSwitch,
    look_interval,
    needed_mode,
)
from apps.vision.frames import BgrPixels, Frame
from apps.vision.livemux import LiveTap, split_boxes
from apps.vision.motion import MotionDetector
from apps.vision.pipeline import CameraPipeline, PipelineConfig
from apps.vision.snapshot import render_snapshot
from apps.vision.source import SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from apps.vision.videocapture import VideoPixels, enable_file_sources
from bench.vision_bench import (
    BITRATE,
    FPS,
    GATE,
    HEIGHT,
    LOOPBACK,
    PRIVACY,
    WIDTH,
    _one_core,
    _simulator_url,
    make_clip,
    report,
)
from tests.vision.keyframes import report_delay
from tests.vision.sinks import NullSink

# The city mix of the issue: cameras per role.
MIX = {"armed": 2, "watched": 2, "idle": 12}
TAMPER_SIZE = (640, 360)
LIVE_INTERVAL = 1.0
# Seconds of each clip not counted: the tamper detector learns its reference, and the
# encoder's rate control settles (its keyframes grow by a quarter over the first 9 s, which
# the bitstream watch takes for a change and looks at until 13 s).
WARM_UP = 14.0


def need(role: str, keyframe_interval: float) -> DecodeMode:
    """The mode a camera of `role` decodes in, as a watcher asks (live: a snapshot a second)."""
    return needed_mode(datetime.now(UTC), lambda moment: role == "armed",
                       live=role == "watched", event_open=False,
                       keyframe_interval=keyframe_interval, live_interval=LIVE_INTERVAL)


class MotionLog(NullSink):
    def __init__(self) -> None:
        super().__init__()
        self.motion_at: list[float] = []

    def motion(self, result, frame: Frame, clip_key: str | None) -> None:
        self.motion_at.append(round(frame.stream_time, 3))


def pipeline(role: str, sink: NullSink) -> CameraPipeline:
    config = PipelineConfig(motion_zones=(GATE.polygon,), privacy_masks=PRIVACY,
                            live_interval=LIVE_INTERVAL, idle_interval=10.0)
    return CameraPipeline(config, sink, is_live=lambda: role == "watched",
                          is_armed=lambda frame: role == "armed")


def switched(mode: DecodeMode, camera: CameraPipeline,
             look: float | None = None) -> DecodeSwitch:
    """The decoding switch a watcher gives the camera's reader (`look`: another time between
    keyframe mode's looks than the watcher's)."""
    config = camera.config
    return DecodeSwitch(mode, attention=lambda: camera.needs_attention,
                        look=look or look_interval(config.idle_interval,
                                                   config.timeline_interval))


def read(path: Path, role: str, mode: DecodeMode | None) -> tuple[float, MotionLog]:
    """CPU seconds to read the clip once as a camera of `role` (as fast as it decodes)."""
    sink = MotionLog()
    camera = pipeline(role, sink)
    source = SourceConfig(f"file://{path}", SourceKind.FILE, realtime=False)
    reader = StreamReader(source, camera.process, policy=LOOPBACK,
                          decoding=None if mode is None else switched(mode, camera))
    started = time.process_time()
    reader.run()
    return time.process_time() - started, sink


def steady_cost(path: Path, role: str, mode: DecodeMode) -> float:
    """CPU seconds per second of stream of a camera of `role` reading the clip, past the
    first WARM_UP seconds (`steady`)."""
    return steady(path, role, mode)[0]


def steady(path: Path, role: str, mode: DecodeMode,
           look: float | None = None) -> tuple[float, float]:
    """`steady_cost`, and the pictures analysed per second of stream (in keyframe mode: the
    looks). Counted from the first picture analysed after WARM_UP to the last one: whole
    periods of the cadence. (Counted to the clip's end, a look a few seconds before it would
    weigh as if looks came that often.)"""
    camera = pipeline(role, NullSink())
    marks: list[tuple[float, float]] = []  # (stream time, CPU time) of each picture counted

    def process(frame: Frame) -> None:
        if frame.stream_time >= WARM_UP:
            marks.append((frame.stream_time, time.process_time()))
        camera.process(frame)

    source = SourceConfig(f"file://{path}", SourceKind.FILE, realtime=False)
    StreamReader(source, process, policy=LOOPBACK,
                 decoding=switched(mode, camera, look)).run()
    (first_t, first_cpu), (last_t, last_cpu) = marks[0], marks[-1]
    return (last_cpu - first_cpu) / (last_t - first_t), (len(marks) - 1) / (last_t - first_t)


def clip_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base


def keyframe_share(path: Path) -> float:
    with av.open(str(path)) as container:
        sizes = [(p.size, p.is_keyframe) for p in container.demux(video=0) if p.size]
    return sum(size for size, key in sizes if key) / sum(size for size, _ in sizes)


def mix_benchmarks(seconds: float, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for keyframe_seconds in (1, 2):
            path = Path(folder) / f"gate-{keyframe_seconds}.mp4"
            make_clip(path, WARM_UP + seconds, keyint=round(keyframe_seconds * FPS))
            suffix = "" if keyframe_seconds == 1 else f"_keyint{keyframe_seconds}s"
            report(f"decode_keyframe_bytes_share{suffix}", keyframe_share(path), "")
            needs = {role: need(role, keyframe_seconds) for role in MIX}
            cpu: dict[tuple[str, DecodeMode], list[float]] = {}
            with _one_core():
                for _ in range(runs):  # interleaved: a busy moment weighs on all alike
                    for role in MIX:
                        for mode in dict.fromkeys((DecodeMode.FULL, needs[role])):
                            used = steady_cost(path, role, mode)
                            cpu.setdefault((role, mode), []).append(used)
            per_second = {key: statistics.median(values) * 1000 for key, values in cpu.items()}
            for (role, mode), value in sorted(per_second.items()):
                report(f"decode_{role}_{mode.value}_cpu_per_camera_second{suffix}", value, "ms")
            mix = sum(n * per_second[role, needs[role]] for role, n in MIX.items())
            full = sum(n * per_second[role, DecodeMode.FULL] for role, n in MIX.items())
            cameras = sum(MIX.values())
            report(f"decode_mix_cpu_ratio{suffix}", mix / full, "x")
            report(f"decode_mix_cpu_per_camera_second{suffix}", mix / cameras, "ms")
            report(f"decode_mix_cameras_per_core{suffix}", 1000 * cameras / mix, "cameras")
            report(f"decode_all_full_cameras_per_core{suffix}", 1000 * cameras / full, "cameras")
            idle_cadence_benchmarks(path, suffix, per_second, needs, runs)
            passthrough_mix(path, per_second, needs, suffix)
            if keyframe_seconds == 1:
                idle_breakdown(path, per_second["idle", needs["idle"]])
                motion_benchmarks(path)


# The idle cadence before this one: a look every 5 s.
EARLIER_LOOK = 5.0


def idle_cadence_benchmarks(path: Path, suffix: str,
                            per_second: dict[tuple[str, DecodeMode], float],
                            needs: dict[str, DecodeMode], runs: int) -> None:
    """(f): the idle camera with a look every KEYFRAME_LOOK against every EARLIER_LOOK,
    interleaved, and the mix figures that follow (`per_second`: ms per camera-second of each
    role and mode, from `mix_benchmarks`)."""
    measured: dict[float, list[tuple[float, float]]] = {}
    with _one_core():
        for _ in range(runs):
            for look in (EARLIER_LOOK, KEYFRAME_LOOK):
                measured.setdefault(look, []).append(steady(path, "idle", DecodeMode.KEYFRAMES,
                                                            look))
    idle = {}
    for look, values in measured.items():
        idle[look] = statistics.median(cpu for cpu, _ in values) * 1000
        name = f"look{look:g}s{suffix}"
        report(f"decode_idle_keyframes_cpu_per_camera_second_{name}", idle[look], "ms")
        report(f"decode_idle_looks_per_minute_{name}",
               statistics.median(looks for _, looks in values) * 60, "looks")
    report(f"decode_idle_look{KEYFRAME_LOOK:g}s_over_look{EARLIER_LOOK:g}s{suffix}",
           idle[KEYFRAME_LOOK] / idle[EARLIER_LOOK], "x")
    full = sum(n * per_second[role, DecodeMode.FULL] for role, n in MIX.items())
    report(f"decode_idle_over_full{suffix}",
           idle[KEYFRAME_LOOK] / per_second["idle", DecodeMode.FULL], "x")
    others = sum(n * per_second[role, needs[role]] for role, n in MIX.items() if role != "idle")
    report(f"decode_mix_cpu_ratio_look{EARLIER_LOOK:g}s{suffix}",
           (others + MIX["idle"] * idle[EARLIER_LOOK]) / full, "x")
    # Projected, not measured: the watched cameras at an idle camera's cost, as passthrough
    # to unmasked live viewers would make them.
    projected = (MIX["armed"] * per_second["armed", needs["armed"]]
                 + (MIX["watched"] + MIX["idle"]) * idle[KEYFRAME_LOOK])
    report(f"decode_mix_cpu_ratio_projected_watched_at_idle_cost{suffix}", projected / full,
           "x")


def idle_breakdown(path: Path, idle_ms: float, keyframes: int = 30) -> None:
    """Where an idle camera's CPU goes, in ms per camera-second at its measured cost
    `idle_ms` and looks per second: per look the keyframe's decoding, the snapshot JPEG (the
    idle snapshot, the timeline still and the evidence frame share one) and the rest of the
    analysis (grey picture, motion, tamper, the coarse marker); per second the demuxing and
    the bitstream arithmetic; the reader's own work is what remains."""
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    keys = [p for p in packets if p.is_keyframe][:keyframes]
    with _one_core():
        rounds: dict[str, list[float]] = {}
        for _ in range(3):  # alternating: a busy moment weighs on both alike
            for name, options in (("", {}), ("_flags2_fast", {"flags2": "+fast"})):
                rounds.setdefault(name, []).append(keyframe_decode_ms(path, len(keys), options))
        decode_ms = {name: statistics.median(values) for name, values in rounds.items()}
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "NONE"
            stream.codec_context.thread_count = 1
            frames = [frame for p in keys for frame in p.decode()]
        camera = pipeline("idle", NullSink())
        started = time.process_time()
        for frame in frames:
            render_snapshot(VideoPixels(frame), PRIVACY, width=camera.config.snapshot_width)
        jpeg_ms = (time.process_time() - started) / len(frames) * 1000
        started = time.process_time()
        for i, frame in enumerate(frames):  # a look every 10 s: each takes the pictures due
            camera.process(Frame(VideoPixels(frame), i, i * KEYFRAME_LOOK, 0.0))
        analysis_ms = (time.process_time() - started) / len(frames) * 1000 - jpeg_ms
        seconds = clip_seconds(path)
        with av.open(str(path)) as container:  # opened once per connection: not counted
            started = time.process_time()
            for _ in container.demux(video=0):
                pass
            demux_ms = (time.process_time() - started) / seconds * 1000
        switch = DecodeSwitch(DecodeMode.KEYFRAMES)
        timed = [(p.is_keyframe, float(p.pts * p.time_base), p.size) for p in packets]
        started = time.process_time()
        for keyframe, at, size in timed:
            switch.admit(keyframe, at, size)
        admit_ms = (time.process_time() - started) / seconds * 1000
    looks = steady(path, "idle", DecodeMode.KEYFRAMES)[1]
    report("decode_keyframe_decode_ms", decode_ms[""], "ms")
    report("decode_keyframe_decode_ms_flags2_fast", decode_ms["_flags2_fast"], "ms")
    report("decode_look_snapshot_jpeg_ms", jpeg_ms, "ms")
    report("decode_look_analysis_ms", analysis_ms, "ms")
    parts = {"keyframe_decode": looks * decode_ms[""], "snapshot_jpeg": looks * jpeg_ms,
             "analysis": looks * analysis_ms, "demux": demux_ms, "bitstream_arithmetic": admit_ms}
    parts["reader_and_rest"] = idle_ms - sum(parts.values())
    for name, value in parts.items():
        report(f"decode_idle_{name}_cpu_per_camera_second", value, "ms")


def keyframe_decode_ms(path: Path, keyframes: int, options: dict[str, str]) -> float:
    """CPU ms to decode one of the clip's first `keyframes` keyframes alone, as keyframe mode
    does, with these decoder options."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        stream.codec_context.thread_count = 1
        stream.codec_context.options = options
        keys = [p for p in container.demux(stream) if p.is_keyframe and p.size][:keyframes]
        started = time.process_time()
        for packet in keys:
            packet.decode()
        return (time.process_time() - started) / len(keys) * 1000


def livemux_cost(path: Path) -> tuple[float, float, float, int]:
    """CPU seconds per second of stream to mux the clip's packets for a passthrough viewer
    (demuxing is the reader's anyway: only muxing counts), arriving in real time; the share
    of bytes the fragments add to the packets'; the messages sent per second, and their mean
    size."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        duration = float(container.duration or 0) / av.time_base
        sent: list[bytes] = []
        tap = LiveTap(lambda fragment, init, codec: sent.append(fragment.data), lambda: True)
        tap.video_opened(stream)
        start = time.time()
        arrivals = [datetime.fromtimestamp(start + i / FPS, UTC) for i in range(len(packets))]
        started = time.process_time()
        for packet, received in zip(packets, arrivals, strict=True):
            tap.video_packet(packet, received)
        used = time.process_time() - started
        tap.closed()
    # A fragment (moof + mdat) a frame; those of the batch still open at the end not sent.
    frames = sum(kind == b"moof" for data in sent for kind, _box in split_boxes(data)[0])
    added = sum(map(len, sent)) / sum(p.size for p in packets[:frames]) - 1
    return used / duration, added, len(sent) / duration, sum(map(len, sent)) // len(sent)


def send_costs(size: int, fragments: int = 300) -> tuple[float, float] | None:
    """CPU ms to send one message of `size` bytes to a camera group of channels-redis (one member, a
    hub): from one event loop that stays, and through async_to_sync; None without Redis."""
    import asyncio

    import redis
    from asgiref.sync import async_to_sync
    from channels_redis.core import RedisChannelLayer

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        return None
    layer = RedisChannelLayer(hosts=[url], prefix=f"posko:bench-livemux-{os.getpid()}")
    message = {"type": "camera.video", "camera": 1, "at": time.time(), "fragment": b"x" * size,
               "init": None, "codec": None}

    async def one_loop() -> float:
        await layer.group_add("camera.1", await layer.new_channel())
        started = time.process_time()
        for _ in range(fragments):
            await layer.group_send("camera.1", message)
        return time.process_time() - started

    staying = asyncio.run(one_loop())
    send = async_to_sync(layer.group_send)
    started = time.process_time()
    for _ in range(fragments):
        send("camera.1", message)
    each_call = time.process_time() - started
    async_to_sync(layer.flush)()
    return staying / fragments * 1000, each_call / fragments * 1000


def passthrough_mix(path: Path, per_second: dict[tuple[str, DecodeMode], float],
                    needs: dict[str, DecodeMode], suffix: str) -> None:
    """(f): the watched cameras of the mix as passthrough viewers see them."""
    costs = [livemux_cost(path) for _ in range(3)]
    mux = statistics.median(cost[0] for cost in costs) * 1000
    _, added, messages, size = costs[0]
    report(f"decode_livemux_cpu_per_camera_second{suffix}", mux, "ms")
    report(f"decode_livemux_bytes_overhead{suffix}", added, "")
    report(f"decode_livemux_messages_per_camera_second{suffix}", messages, "")
    sending = send_costs(size)
    if sending is not None:
        report(f"decode_livemux_send_cpu_per_message{suffix}", sending[0], "ms")
        report(f"decode_livemux_send_async_to_sync_cpu_per_message{suffix}", sending[1], "ms")
        mux += sending[0] * messages
        report(f"decode_livemux_with_sending_cpu_per_camera_second{suffix}", mux, "ms")
    watched = per_second["idle", needs["idle"]] + mux
    mix = sum(n * (watched if role == "watched" else per_second[role, needs[role]])
              for role, n in MIX.items())
    full = sum(n * per_second[role, DecodeMode.FULL] for role, n in MIX.items())
    report(f"decode_mix_passthrough_cpu_ratio{suffix}", mix / full, "x")


def motion_benchmarks(path: Path) -> None:
    """An armed camera decodes in full: its motion events must be today's, frame for frame."""
    _cpu, today = read(path, "armed", None)
    _cpu, now = read(path, "armed", need("armed", 1.0))
    report("decode_armed_motion_events", len(now.motion_at), "events")
    report("decode_armed_motion_same_as_before", float(today.motion_at == now.motion_at), "")
    if now.motion_at:
        report("decode_armed_first_motion_at", now.motion_at[0], "s")


def tamper_benchmarks(folder: Path) -> None:
    for keyframe_seconds in (2, 1):
        suffix = "" if keyframe_seconds == 2 else f"_keyint{keyframe_seconds}s"
        for kind in sorted(TAMPER_CHANGES):
            clip = write_tamper_clip(folder / f"{kind}.mp4", kind, size=TAMPER_SIZE, fps=FPS,
                                     keyint=round(keyframe_seconds * FPS))
            modes = [(DecodeMode.KEYFRAMES, "keyframe")]
            if keyframe_seconds == 2:
                modes.append((DecodeMode.FULL, "full"))
            for mode, name in modes:
                delay = report_delay(clip, mode, LOOPBACK)
                report(f"{name}_tamper_delay_{kind}{suffix}",
                       float("nan") if delay is None else delay, "s")
            # Right after a look (at 0 s and every KEYFRAME_LOOK), the longest wait for the
            # next one.
            clip = write_tamper_clip(folder / f"{kind}.mp4", kind, size=TAMPER_SIZE, fps=FPS,
                                     keyint=round(keyframe_seconds * FPS),
                                     onset=KEYFRAME_LOOK + 1 / FPS)
            delay = report_delay(clip, DecodeMode.KEYFRAMES, LOOPBACK)
            report(f"keyframe_tamper_delay_after_look_{kind}{suffix}",
                   float("nan") if delay is None else delay, "s")


def watch_mix(url: str, all_full: bool, seconds: float,
              passthrough: bool = False) -> dict[str, float]:
    """Child process: the 16 cameras of the mix reading `url`; CPU and wall seconds. With
    `passthrough` the watched cameras are watched by passthrough instead (f): idle decoding
    and pipeline, and the live muxer (sending not counted)."""
    stop = threading.Event()
    readers = []
    for role, count in MIX.items():
        by_packets = passthrough and role == "watched"
        # The simulator sends a keyframe a second.
        mode = DecodeMode.FULL if all_full else need("idle" if by_packets else role, 1.0)
        for i in range(count):
            camera = pipeline("idle" if by_packets else role, NullSink())
            tap = LiveTap(lambda *sent: None, lambda: True) if by_packets else None
            readers.append(StreamReader(SourceConfig(url, SourceKind.RTSP, label=f"{role}-{i}"),
                                        camera.process, stop, policy=LOOPBACK, recorder=tap,
                                        decoding=switched(mode, camera)))
    threads = [threading.Thread(target=r.run, daemon=True) for r in readers]
    for thread in threads:
        thread.start()
    # Connected, past the burst of buffered frames after opening, the tamper detectors'
    # learning and the first walk-bys the bitstream watch has no history for yet (it looks at
    # the simulator's first ones, as at the file clip's first 13 s; once seen 21 s after
    # connecting, which cost as much as two minutes of looks every 10 s).
    time.sleep(30.0)
    wall_started, cpu_started = time.monotonic(), time.process_time()
    relays_started = _relay_cpu()
    time.sleep(seconds)
    result = {"cpu": time.process_time() - cpu_started, "wall": time.monotonic() - wall_started,
              "frames": min(r.health().frames for r in readers),
              "relay_cpu": _relay_cpu(relays_started)}
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    return result


def _relay_cpu(before: dict[int, float] | None = None) -> dict[int, float] | float:
    """The CPU seconds of the RTSP relays' threads (apps.vision.rtsprelay) by thread, or,
    given an earlier reading, their sum since then (a relay that has not reconnected)."""
    now = {thread.ident: time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
           for thread in threading.enumerate() if thread.name == "rtsp-relay"}
    if before is None:
        return now
    return sum(cpu - before[ident] for ident, cpu in now.items() if ident in before)


def live_benchmarks(seconds: float) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    simulator = subprocess.Popen(
        [sys.executable, "-m", "apps.camsim", "--camera", "live", "--size", f"{WIDTH}x{HEIGHT}",
         "--fps", str(FPS), "--bitrate", str(BITRATE), "--person", "--http-port", "0",
         "--rtsp-port", "0"], stdout=subprocess.PIPE, text=True)
    shares, relays = {}, {}
    try:
        if len(cpus) > 1:
            os.sched_setaffinity(simulator.pid, cpus[1:])  # its encoding is not counted
        url = _simulator_url(simulator)
        for name in ("mix", "passthrough", "full"):
            child = subprocess.run(
                [sys.executable, "-m", "bench.decode_bench", "--live-child", url,
                 "--seconds", str(seconds), *(["--all-full"] if name == "full" else []),
                 *(["--passthrough"] if name == "passthrough" else [])],
                capture_output=True, text=True, check=True,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus[:1])) if len(cpus) > 1 else None)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            shares[name] = result["cpu"] / result["wall"]
            relays[name] = result["relay_cpu"] / result["wall"]
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    cameras = sum(MIX.values())
    report("decode_live_mix_cpu_ratio", shares["mix"] / shares["full"], "x")
    report("decode_live_mix_passthrough_cpu_ratio", shares["passthrough"] / shares["full"], "x")
    report("decode_live_mix_cameras_per_core", cameras / shares["mix"], "cameras")
    report("decode_live_all_full_cameras_per_core", cameras / shares["full"], "cameras")
    # What the relays' threads (joining fragments, passing bytes on) take of the mix.
    report("decode_live_relay_cpu_per_camera", relays["mix"] / cameras * 1000, "ms/s")
    report("decode_live_relay_share_of_mix", relays["mix"] / shares["mix"], "x")


def marker_benchmark(looks: int) -> None:
    renderer = SceneRenderer(WIDTH, HEIGHT, "bench-gate")
    state = SceneState(person=True)
    earlier, later = (Frame(BgrPixels(renderer.render(state, t, datetime.now())), 0, t, t)
                      .small_grey() for t in (1.0, 6.0))
    detector = MotionDetector()
    started = time.process_time()
    for _ in range(looks):
        detector.changed_share(later, earlier)
    report("decode_motion_marker_cpu_per_look", (time.process_time() - started) / looks * 1e6,
           "us")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a shorter clip, fewer runs")
    parser.add_argument("--live-child", help=argparse.SUPPRESS)
    parser.add_argument("--all-full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--passthrough", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=20.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # as in a capture worker
    enable_file_sources()
    if args.live_child:
        print(json.dumps(watch_mix(args.live_child, args.all_full, args.seconds,
                                   args.passthrough)))
        return 0
    # Long enough for two looks of an idle camera after WARM_UP (one, with --quick).
    seconds, runs = (18.0, 2) if args.quick else (40.0, 5)
    mix_benchmarks(seconds, runs)
    live_benchmarks(10.0 if args.quick else 20.0)  # whole periods of the idle looks
    marker_benchmark(2_000 if args.quick else 20_000)
    with tempfile.TemporaryDirectory() as folder:
        tamper_benchmarks(Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
