"""A camera simulator: synthetic scenes served as MJPEG over HTTP, JPEG snapshots and RTSP/H.264.

Used by the tests, the benchmark and the demo (`manage.py camsim`); it binds to 127.0.0.1 only.
A plain package beside the runtime, not part of it: no Django, and nothing in the portal's
stream runtime (apps.vision, apps.streams) imports it. It shares only the HTTP digest
arithmetic with the stream reader (apps.vision.httpauth), so both sides compute it alike.
"""

from apps.camsim.camera import ACTIONS, CameraSpec, SimCamera
from apps.camsim.core import Simulator
from apps.camsim.scene import SceneRenderer, SceneState

__all__ = ["ACTIONS", "CameraSpec", "SceneRenderer", "SceneState", "SimCamera", "Simulator"]
