"""Tamper detection through the stream reader in either decoding mode, on clips from the
simulator (apps.camsim.clip): what the tests and bench/decode_bench.py measure."""

from __future__ import annotations

from pathlib import Path

from apps.camsim.clip import LabelledClip
from apps.core.netguard import UrlPolicy
from apps.vision.decoding import KEYFRAME_LOOK, DecodeMode, DecodeSwitch
from apps.vision.frames import Frame
from apps.vision.source import SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from apps.vision.tamper import TamperDetector, TamperKind

Report = tuple[float, TamperKind, bool]  # stream time, kind, raised (or cleared)


def tamper_reports(path: Path, mode: DecodeMode, policy: UrlPolicy,
                   look: float = KEYFRAME_LOOK) -> list[Report]:
    """The tamper reports of a clip read as fast as it decodes, as a watcher analyses it
    (`look`: seconds between keyframe mode's looks)."""
    detector = TamperDetector()
    found: list[Report] = []

    def analyse(frame: Frame) -> None:
        for event in detector.update(frame.small_grey(), frame.stream_time).events:
            found.append((frame.stream_time, event.kind, event.active))

    source = SourceConfig(f"file://{path}", SourceKind.FILE, realtime=False)
    # As a watcher wires it: the detector asks for every keyframe while it looks into something.
    switch = DecodeSwitch(mode, attention=lambda: detector.needs_attention, look=look)
    StreamReader(source, analyse, policy=policy, decoding=switch).run()
    return found


def report_delay(clip: LabelledClip, mode: DecodeMode, policy: UrlPolicy,
                 look: float = KEYFRAME_LOOK) -> float | None:
    """Seconds from the clip's tamper onset to its first report (None: never reported)."""
    kind = TamperKind(clip.kind)
    raised = [t for t, k, active in tamper_reports(clip.path, mode, policy, look)
              if active and k == kind and t >= clip.onset]
    return raised[0] - clip.onset if raised else None
