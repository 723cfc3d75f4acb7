"""A pipeline sink that drops what the pipeline hands it (apps.vision.pipeline.PipelineSink):
benchmarks measure the analysis itself, and tests override only what they look at."""

from __future__ import annotations

from apps.vision.frames import Frame


class NullSink:
    def snapshot(self, jpeg: bytes, frame: Frame) -> None:
        pass

    def timeline(self, jpeg: bytes, frame: Frame) -> None:
        pass

    def motion(self, result, frame: Frame, clip_key: str | None) -> None:
        pass

    def tamper(self, event, frame: Frame, clip_key: str | None) -> None:
        pass

    def clip(self, clip) -> None:
        pass

    def moved(self, frame: Frame) -> None:
        pass
