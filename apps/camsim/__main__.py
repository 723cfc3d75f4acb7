"""Run the camera simulator: python -m apps.camsim --camera gate-1 --camera gate-2"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from apps.camsim.camera import ACTIONS, CameraSpec
from apps.camsim.core import Simulator
from apps.camsim.scene import SceneState


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise argparse.ArgumentTypeError("size must look like 1280x720") from None
    if not all(16 <= v <= 4096 and v % 2 == 0 for v in size):
        raise argparse.ArgumentTypeError("width and height must be even, 16..4096")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.camsim", description=__doc__)
    parser.add_argument("--camera", action="append", help="camera name (repeatable)")
    parser.add_argument("--size", type=_size, default=(1280, 720))
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--bitrate", type=int, default=2_000_000, help="H.264 bits per second")
    parser.add_argument("--http-port", type=int, default=8090)
    parser.add_argument("--rtsp-port", type=int, default=8554)
    parser.add_argument("--night", action="store_true")
    parser.add_argument("--person", action="store_true", help="someone walks through the gate")
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args(argv)

    width, height = args.size
    specs = [
        CameraSpec(
            name,
            width,
            height,
            args.fps,
            args.bitrate,
            SceneState(night=args.night, person=args.person),
            args.username,
            args.password,
            seed=index + 1,
        )
        for index, name in enumerate(args.camera or ["gate-1"])
    ]
    simulator = Simulator(specs, http_port=args.http_port, rtsp_port=args.rtsp_port).start()
    for spec in specs:
        for kind, url in simulator.urls(spec.name).items():
            print(f"{spec.name} {kind} {url}")
    print(f"actions: {', '.join(ACTIONS)}")
    print("ready", flush=True)

    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    done.wait()
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
