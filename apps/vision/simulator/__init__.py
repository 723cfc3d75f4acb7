"""A camera simulator: synthetic scenes served as MJPEG over HTTP, JPEG snapshots and RTSP/H.264.

Used by the tests, the benchmark and the demo; it binds to 127.0.0.1 only.
"""

from apps.vision.simulator.camera import ACTIONS, CameraSpec, SimCamera
from apps.vision.simulator.core import Simulator
from apps.vision.simulator.scene import SceneRenderer, SceneState

__all__ = ["ACTIONS", "CameraSpec", "SceneRenderer", "SceneState", "SimCamera", "Simulator"]
