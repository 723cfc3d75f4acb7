"""Masked rendition speed: python -m bench.rendition_bench [--seconds 60] [--compare]

A recorded segment of the simulator's gate scene (1280x720, 25 fps, 2 Mbit/s, a keyframe a
second, cut by the portal's stream-copy writer) is rendered with two privacy masks by
apps.vision.rendition (decode, mask, encode), pinned to one core with one encoder thread.
Speed is the segment's seconds over the CPU seconds the render took (the median of three):
the issue's figure is at least 4x real time. Wall time is printed too, but on a shared
machine it counts other people's work. `--compare` also measures the other x264 presets
the choice was made among. Also the CPU time of one piece as the review player asks for it
(PIECE_SECONDS from the middle of the segment): what a masked viewer's click waits for.
Prints `bench: <name> = <value> <unit>` lines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av

from apps.camsim.clip import write_clip
from apps.camsim.scene import SceneRenderer, SceneState
from apps.vision.geometry import polygon
from apps.vision.recording import SegmentWriter
from apps.vision.rendition import PIECE_SECONDS, RenditionLimits, Span, mask_video

WIDTH, HEIGHT, FPS, BITRATE = 1280, 720, 25.0, 2_000_000
START = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)
# A neighbour's window and the street beyond the fence: what a privacy mask typically hides.
MASKS = (polygon([(0.75, 0.0), (1.0, 0.0), (1.0, 0.3), (0.75, 0.3)]),
         polygon([(0.0, 0.55), (0.2, 0.5), (0.25, 1.0), (0.0, 1.0)]))
RUNS = 3


def report(name: str, value: float, unit: str) -> None:
    print(f"bench: {name} = {value:.3g} {unit}", flush=True)


def recorded_segment(folder: Path, seconds: float) -> Path:
    """The gate scene with a person walking, as a camera sends it and the recorder stores it."""
    renderer = SceneRenderer(WIDTH, HEIGHT, name="bench")
    state = SceneState(person=True)
    frames = (renderer.render(state, index / FPS, START + timedelta(seconds=index / FPS))
              for index in range(round(seconds * FPS)))
    clip = folder / "camera.mp4"
    write_clip(clip, frames, FPS, bitrate=BITRATE)
    with av.open(str(clip)) as source:
        video = source.streams.video[0]
        writer = SegmentWriter(video, folder, max_seconds=seconds + 10, clock=lambda: START)
        for packet in source.demux(video):
            if packet.dts is not None:
                writer.write(packet, START)
    segment = writer.close()
    assert segment is not None
    return segment.path


def render(segment: Path, out: Path, limits: RenditionLimits, span: Span | None = None,
           ) -> tuple[float, float, float, int]:
    """(seconds rendered, CPU seconds, wall seconds, bytes written): the median of RUNS."""
    results = []
    for _ in range(RUNS):
        cpu, wall = time.process_time(), time.perf_counter()
        rendition = mask_video(segment, out, MASKS, limits, span)
        results.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu_seconds = statistics.median(cpu for cpu, _ in results)
    wall_seconds = statistics.median(wall for _, wall in results)
    return rendition.seconds, cpu_seconds, wall_seconds, rendition.bytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--compare", action="store_true",
                        help="also measure the x264 presets the default was chosen among")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rendition-bench-") as folder:
        segment = recorded_segment(Path(folder), args.seconds)
        # One core from here on: the segment above was made with all of them.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        limits = RenditionLimits(max_seconds=args.seconds + 10, threads=1)
        presets = [limits.preset]
        if args.compare:
            presets += [p for p in ("ultrafast", "superfast", "faster") if p != limits.preset]
        input_mb = segment.stat().st_size / 1e6
        for preset in presets:
            suffix = "" if preset == limits.preset else f"_{preset}"
            seconds, cpu, wall, size = render(segment, Path(folder) / "masked.mp4",
                                              replace(limits, preset=preset))
            report(f"recording_masked_rendition_speed{suffix}", seconds / cpu,
                   f"realtime (720p {FPS:g} fps, one core, x264 {preset} crf {limits.crf}; "
                   f"wall {seconds / wall:.2f}x; target >= 4)")
            report(f"recording_masked_rendition_size{suffix}", size / 1e6 * 60 / seconds,
                   f"MB per minute (the segment: {input_mb * 60 / seconds:.3g} MB per minute)")
        middle = Span(args.seconds // 2, args.seconds // 2 + PIECE_SECONDS)
        seconds, cpu, wall, size = render(segment, Path(folder) / "piece.mp4", limits, middle)
        report("recording_masked_piece_cpu", cpu * 1000,
               f"ms CPU for a {seconds:g} s piece (one core, wall {wall * 1000:.0f} ms; "
               f"{size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
