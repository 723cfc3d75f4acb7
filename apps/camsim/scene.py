"""Synthetic camera pictures: a gate by day or night, and the things that happen to cameras.

Everything is drawn with NumPy/OpenCV from a seed, so tests and benchmarks get the same frames
on every machine without downloading footage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import cv2
import numpy as np

from apps.camsim.busy import Busy, draw_busy

NOISE_FRAMES = 6


@dataclass
class SceneState:
    """What the camera currently shows. Several flags can be on at once."""

    night: bool = False
    person: bool = False
    covered: bool = False
    shifted: bool = False
    blurred: bool = False
    frozen: bool = False
    lights: bool = False
    busy: Busy | None = None  # a crowd, dense traffic or a street market in view


class SceneRenderer:
    def __init__(self, width: int, height: int, name: str = "cam", seed: int = 1) -> None:
        self.width, self.height, self.name, self.seed = width, height, name, seed
        self._frame_index = 0
        self._last: np.ndarray | None = None

    def render(self, state: SceneState, t: float, clock: datetime) -> np.ndarray:
        """The frame at `t` seconds since the camera started; `clock` is burned in."""
        if state.frozen and self._last is not None:
            # A hung encoder repeats its last picture, timestamp included.
            return self._last
        self._frame_index += 1
        if state.covered:
            frame = np.full((self.height, self.width, 3), 6, np.uint8)
            _add_noise(frame, self._frame_index, sigma=2.0)
        else:
            base = _background(self.width, self.height, self.seed, state.night, state.shifted)
            frame = base.copy()
            if state.busy is not None:
                draw_busy(frame, state.busy, t, self.seed)
            if state.person:
                _draw_person(frame, t)
            if state.lights:
                cv2.convertScaleAbs(frame, frame, alpha=1.5, beta=40)
            if state.blurred:
                sigma = self.width / 90
                cv2.GaussianBlur(frame, (0, 0), sigma, dst=frame)
            _add_noise(frame, self._frame_index, sigma=6.0 if state.night else 3.0)
        _draw_overlay(frame, clock, self.name)
        self._last = frame
        return frame


def _draw_overlay(frame: np.ndarray, clock: datetime, name: str) -> None:
    height = frame.shape[0]
    scale = height / 720 * 1.1
    thickness = max(1, round(height / 360))
    text = clock.strftime("%Y-%m-%d %H:%M:%S")
    origin = (round(height * 0.03), round(height * 0.07))
    # Dark outline under white text, as cameras do, so it reads on any background.
    for colour, extra in (((0, 0, 0), 2 * thickness), ((255, 255, 255), 0)):
        cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour,
                    thickness + extra, cv2.LINE_AA)
        label_origin = (round(frame.shape[1] * 0.78), round(height * 0.95))
        cv2.putText(frame, name[:16], label_origin, cv2.FONT_HERSHEY_SIMPLEX, scale * 0.8,
                    colour, thickness + extra, cv2.LINE_AA)


def _draw_person(frame: np.ndarray, t: float) -> None:
    """A figure walking across the gate from left to right, then a short pause, repeated."""
    height, width = frame.shape[:2]
    cycle, walk = 8.0, 6.0
    phase = t % cycle
    if phase > walk:
        return
    x = int((-0.1 + 1.2 * phase / walk) * width)
    feet = int(height * 0.9)
    tall = int(height * 0.42)
    body_w = max(4, tall // 5)
    head = max(3, tall // 12)
    top = feet - tall
    cv2.circle(frame, (x, top + head), head, (80, 120, 170), -1)
    cv2.rectangle(frame, (x - body_w // 2, top + 2 * head), (x + body_w // 2, feet - tall // 3),
                  (40, 40, 150), -1)
    stride = math.sin(phase * 2 * math.pi * 1.5) * body_w * 0.8
    leg = max(2, body_w // 3)
    hip = (x, feet - tall // 3)
    cv2.line(frame, hip, (int(x + stride), feet), (50, 40, 30), leg)
    cv2.line(frame, hip, (int(x - stride), feet), (50, 40, 30), leg)


def _add_noise(frame: np.ndarray, index: int, sigma: float) -> None:
    positive, negative = _noise_bank(frame.shape, sigma)[index % NOISE_FRAMES]
    cv2.add(frame, positive, dst=frame)
    cv2.subtract(frame, negative, dst=frame)


@lru_cache(maxsize=8)
def _noise_bank(shape: tuple[int, ...], sigma: float) -> list[tuple[np.ndarray, np.ndarray]]:
    # Generating Gaussian noise for every 720p frame would cost more than encoding it: a few
    # pre-drawn fields cycled through look the same to a detector.
    rng = np.random.default_rng(7)
    bank = []
    for _ in range(NOISE_FRAMES):
        noise = rng.normal(0, sigma, shape).round()
        bank.append((np.clip(noise, 0, 255).astype(np.uint8),
                     np.clip(-noise, 0, 255).astype(np.uint8)))
    return bank


@lru_cache(maxsize=16)
def _background(width: int, height: int, seed: int, night: bool, shifted: bool) -> np.ndarray:
    day = _gate(width, height, seed)
    scene = _night(day, seed) if night else day
    if shifted:
        # Pushed aside: turned by a few degrees and looking 30 % further right and a bit down.
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 6.0, 1.0)
        matrix[0, 2] -= 0.3 * width
        matrix[1, 2] -= 0.1 * height
        scene = cv2.warpAffine(scene, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    scene.setflags(write=False)
    return scene


def _gate(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.uint8)
    horizon = int(height * 0.35)
    ground = int(height * 0.82)
    # Sky: a vertical gradient.
    sky = np.linspace(235, 170, horizon)[:, None]
    img[:horizon] = np.dstack([sky * 1.0, sky * 0.85, sky * 0.65]).astype(np.uint8)
    # Wall of bricks with irregular shades.
    img[horizon:ground] = (90, 110, 150)
    brick_h = max(4, height // 36)
    brick_w = brick_h * 3
    for row, y in enumerate(range(horizon, ground, brick_h)):
        offset = (row % 2) * brick_w // 2
        for x in range(-offset, width, brick_w):
            shade = int(rng.integers(-30, 30))
            colour = tuple(int(np.clip(c + shade, 0, 255)) for c in (70, 95, 150))
            cv2.rectangle(img, (x + 1, y + 1), (x + brick_w - 1, y + brick_h - 1), colour, -1)
    # Ground: asphalt.
    img[ground:] = (70, 72, 75)
    # Pillars and the gate between them.
    left, right = int(width * 0.35), int(width * 0.65)
    pillar = max(6, width // 30)
    for x in (left - pillar, right):
        cv2.rectangle(img, (x, int(height * 0.28)), (x + pillar, ground), (180, 180, 175), -1)
        cv2.rectangle(img, (x - 2, int(height * 0.26)), (x + pillar + 2, int(height * 0.29)),
                      (120, 120, 120), -1)
    img[horizon:ground, left:right] = (40, 60, 40)
    bar = max(2, width // 320)
    for x in range(left, right, max(6, width // 80)):
        cv2.rectangle(img, (x, int(height * 0.33)), (x + bar, ground), (25, 25, 30), -1)
    for y in (int(height * 0.36), int(height * 0.58), int(height * 0.78)):
        cv2.rectangle(img, (left, y), (right, y + bar * 2), (25, 25, 30), -1)
    # A sign board on the wall.
    sx, sy = int(width * 0.08), int(height * 0.45)
    sign_end = (sx + int(width * 0.18), sy + int(height * 0.1))
    cv2.rectangle(img, (sx, sy), sign_end, (30, 30, 160), -1)
    cv2.putText(img, "KPU KOTA", (sx + width // 80, sy + int(height * 0.07)),
                cv2.FONT_HERSHEY_DUPLEX, height / 720 * 1.3, (240, 240, 240), max(1, height // 360))
    # Trees as textured green blobs, each at its own random place.
    for _ in range(6):
        cx = int(rng.choice([rng.uniform(0, 0.3), rng.uniform(0.7, 1.0)]) * width)
        cy = int(rng.uniform(0.15, 0.35) * height)
        radius = int(rng.uniform(0.06, 0.12) * height)
        cv2.circle(img, (cx, cy), radius, (40, int(rng.integers(100, 140)), 50), -1)
    # Fixed fine texture everywhere, so the picture has detail to lose when it goes out of focus.
    texture = rng.normal(0, 10, (height, width, 1)).astype(np.int16)
    return np.clip(img.astype(np.int16) + texture, 0, 255).astype(np.uint8)


def _night(day: np.ndarray, seed: int) -> np.ndarray:
    height, width = day.shape[:2]
    dark = day.astype(np.float32) * 0.18
    # A street lamp above the left pillar lights a pool of the scene.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width * 0.3, height * 0.3
    glow = np.exp(-(((xx - cx) / (width * 0.25)) ** 2 + ((yy - cy) / (height * 0.45)) ** 2))
    lit = dark * (1.0 + 3.5 * glow[..., None]) + 25 * glow[..., None]
    cv2.circle(lit, (int(cx), int(cy)), max(3, height // 60), (240, 250, 255), -1)
    return np.clip(lit, 0, 255).astype(np.uint8)
