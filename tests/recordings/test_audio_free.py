"""Recordings carry no audio, so neither do the files served or shared: a camera that sends
sound is recorded as its video alone (the reader demuxes the video stream only, and the
writer's file has that one stream)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import av

from apps.core.netguard import UrlPolicy
from apps.vision.recorder import Recorder, SegmentFlags
from apps.vision.recordgate import RecordMode
from apps.vision.recording import Segment
from apps.vision.source import SourceConfig, SourceKind
from apps.vision.stream import StreamReader
from apps.vision.videocapture import enable_file_sources
from tests.vision.recorded import clip_with_audio
from tests.waiting import wait_until


def test_a_camera_with_sound_is_recorded_without_it(tmp_path: Path) -> None:
    enable_file_sources()
    policy = UrlPolicy((ipaddress.ip_network("127.0.0.0/8"),), allow_file=True)
    clip = clip_with_audio(tmp_path / "with-sound.mp4", seconds=3.0)
    with av.open(str(clip)) as source:
        assert len(source.streams.audio) == 1  # the camera does send sound
    finished: list[Segment] = []

    def stored(segment: Segment, flags: SegmentFlags) -> None:
        finished.append(segment)

    recorder = Recorder(tmp_path / "spool", RecordMode.CONTINUOUS, stored, max_seconds=60.0)
    reader = StreamReader(SourceConfig(f"file://{clip}", SourceKind.FILE, realtime=False),
                          lambda frame: None, policy=policy, recorder=recorder)
    reader.run()
    recorder.closed()
    wait_until(lambda: finished, timeout=10, what="the recorded segment")
    for segment in finished:
        with av.open(str(segment.path)) as recorded:
            assert len(recorded.streams.video) == 1
            assert len(recorded.streams.audio) == 0
            assert len(recorded.streams) == 1
