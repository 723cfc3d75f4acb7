"""The demo's simulated cameras: one list that both `camsim` (which serves them) and the demo
builder (which points Camera rows at them) read, so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class DemoCamera:
    stream: str  # the simulator's camera name
    facility: str  # Facility.name in the demo world
    name: str
    outward: bool
    source: str = "mjpeg"  # or "rtsp"
    night: bool = False
    armed: bool = False  # armed 18:00–06:00 local time
    # Its owner's recording mode; a recorded outward camera's Polres share grants its
    # recordings too (investigating is police work), the other shares live view only.
    recording: str = "off"
    # Privacy masks, polygons in 0..1 (x across, y down): what security viewers never see,
    # live or recorded.
    masks: tuple[tuple[tuple[float, float], ...], ...] = ()


DEMO_CAMERAS = (
    DemoCamera("kpu-gerbang", "Kantor KPU Kota Karangsari", "Gerbang depan", True,
               recording="events"),
    DemoCamera("kpu-lobi", "Kantor KPU Kota Karangsari", "Lobi dalam", False),
    DemoCamera("bawaslu-depan", "Kantor Bawaslu Kota Karangsari", "Halaman depan", True),
    DemoCamera("bawaslu-ruang", "Kantor Bawaslu Kota Karangsari", "Ruang rapat", False),
    DemoCamera("gudang-gerbang", "Gudang Logistik KPU Kota Karangsari", "Gerbang gudang",
               True, source="rtsp", night=True, armed=True, recording="continuous",
               # The neighbours' yard beyond the fence, top right of the picture.
               masks=(((0.72, 0.0), (1.0, 0.0), (1.0, 0.3), (0.72, 0.3)),)),
    DemoCamera("gudang-dalam", "Gudang Logistik KPU Kota Karangsari", "Ruang logistik",
               False, armed=True),
    DemoCamera("tw-kpu-depan", "Kantor KPU Kota Tanjung Wangi", "Gerbang depan", True),
    DemoCamera("tm-gudang", "Gudang Logistik PPK Mutiara Selatan", "Gerbang gudang", True,
               night=True, armed=True),
)


def stream_url(camera: DemoCamera) -> str:
    if camera.source == "rtsp":
        return f"rtsp://127.0.0.1:{settings.CAMSIM_RTSP_PORT}/{camera.stream}"
    return f"http://127.0.0.1:{settings.CAMSIM_HTTP_PORT}/mjpeg/{camera.stream}"
