"""Busy scenes: a crowd crossing the whole picture, dense traffic, a street market.

They are what a tamper detector must never take for a moved or covered camera: most of the
picture changes all the time, yet the camera stands where it stood. Every figure and car
follows a path fixed by the seed, so a scene is the same on every machine.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np


class Busy(enum.StrEnum):
    CROWD = "crowd"
    TRAFFIC = "traffic"
    MARKET = "market"


@dataclass(frozen=True)
class _Mover:
    depth: float  # 0 far (at the wall), 1 near (the bottom of the picture)
    start: float  # fraction of the path at t = 0
    speed: float  # picture widths per second, negative to the left
    colour: tuple[int, int, int]
    sway: float  # market shoppers: how far they stroll back and forth (picture widths)


def draw_busy(frame: np.ndarray, busy: Busy, t: float, seed: int) -> None:
    """Draw the scene's movers (and the market's stalls) onto `frame` at `t` seconds."""
    width = frame.shape[1]
    if busy == Busy.MARKET:
        _draw_stalls(frame)
    for mover in _movers(busy, seed):
        x = _position(mover, t) * width
        if busy == Busy.TRAFFIC:
            _draw_car(frame, x, mover)
        else:
            _draw_figure(frame, x, mover, t)


@lru_cache(maxsize=16)
def _movers(busy: Busy, seed: int) -> tuple[_Mover, ...]:
    rng = np.random.default_rng(seed * 31 + len(busy.value))
    count = {Busy.CROWD: 40, Busy.TRAFFIC: 16, Busy.MARKET: 30}[busy]
    movers = []
    for index in range(count):
        if busy == Busy.TRAFFIC:
            lane = index % 4  # four lanes, the near two one way, the far two the other
            depth = 0.35 + 0.2 * lane
            speed = (0.18 + 0.08 * rng.random()) * (1 if lane < 2 else -1)
        else:
            depth = float(rng.uniform(0.1, 1.0))
            speed = float(rng.uniform(0.06, 0.16)) * (1 if rng.random() < 0.5 else -1)
        sway = float(rng.uniform(0.04, 0.12)) if busy == Busy.MARKET and index % 3 else 0.0
        colour = tuple(int(c) for c in rng.integers(30, 230, 3))
        movers.append(_Mover(depth, float(rng.random()), speed, colour, sway))  # type: ignore[arg-type]
    # Near ones drawn last, over the far ones.
    return tuple(sorted(movers, key=lambda m: m.depth))


def _position(mover: _Mover, t: float) -> float:
    """Where a mover is across the picture (0 left edge, 1 right edge; a little beyond both)."""
    if mover.sway:
        home = -0.1 + 1.2 * mover.start
        return home + mover.sway * math.sin(t * abs(mover.speed) * 6 + mover.start * 6.3)
    return -0.2 + 1.4 * ((mover.start + mover.speed * t / 1.4) % 1.0)


def _ground(height: int, depth: float) -> int:
    return int(height * (0.55 + 0.43 * depth))


def _draw_figure(frame: np.ndarray, x: float, mover: _Mover, t: float) -> None:
    height = frame.shape[0]
    feet = _ground(height, mover.depth)
    tall = int(height * (0.18 + 0.42 * mover.depth))
    body_w = max(3, tall // 4)
    head = max(2, tall // 11)
    top = feet - tall
    cx = int(x)
    cv2.circle(frame, (cx, top + head), head, (70, 110, 160), -1)
    cv2.rectangle(frame, (cx - body_w // 2, top + 2 * head), (cx + body_w // 2, feet - tall // 3),
                  mover.colour, -1)
    stride = math.sin(t * 2 * math.pi * 1.5 + mover.start * 9) * body_w * 0.7
    hip = (cx, feet - tall // 3)
    leg = max(2, body_w // 3)
    cv2.line(frame, hip, (int(cx + stride), feet), (45, 40, 35), leg)
    cv2.line(frame, hip, (int(cx - stride), feet), (45, 40, 35), leg)


def _draw_car(frame: np.ndarray, x: float, mover: _Mover) -> None:
    height, width = frame.shape[:2]
    bottom = _ground(height, mover.depth)
    long = int(width * (0.12 + 0.1 * mover.depth))
    tall = long * 2 // 5
    left = int(x) - long // 2
    cv2.rectangle(frame, (left, bottom - tall), (left + long, bottom - tall // 5),
                  mover.colour, -1)
    roof = (left + long // 5, bottom - tall - tall // 2)
    cv2.rectangle(frame, roof, (left + long * 4 // 5, bottom - tall), mover.colour, -1)
    cv2.rectangle(frame, (roof[0] + 3, roof[1] + 3), (left + long * 4 // 5 - 3, bottom - tall),
                  (60, 50, 40), -1)
    wheel = max(2, tall // 4)
    for wx in (left + long // 5, left + long * 4 // 5):
        cv2.circle(frame, (wx, bottom - wheel), wheel, (20, 20, 20), -1)
    lamp = left + long - 4 if mover.speed > 0 else left + 1
    cv2.rectangle(frame, (lamp, bottom - tall + 2), (lamp + 3, bottom - tall + 2 + wheel),
                  (200, 240, 250), -1)


def _draw_stalls(frame: np.ndarray) -> None:
    """Five stalls along the wall, striped awnings over tables of goods: they stand still."""
    height, width = frame.shape[:2]
    top, table = int(height * 0.42), int(height * 0.62)
    stall_w = width // 5
    for index in range(5):
        left = index * stall_w + stall_w // 10
        right = left + stall_w * 4 // 5
        stripe = max(3, stall_w // 10)
        for n, x in enumerate(range(left, right, stripe)):
            colour = (40, 40, 200) if (n + index) % 2 else (235, 235, 235)
            cv2.rectangle(frame, (x, top), (min(x + stripe, right), top + height // 14), colour, -1)
        cv2.rectangle(frame, (left, table), (right, table + height // 30), (60, 90, 130), -1)
        for n, x in enumerate(range(left + 2, right - 6, max(5, stall_w // 12))):
            colour = ((0, 140, 255), (0, 200, 80), (30, 200, 230), (40, 40, 180))[(n + index) % 4]
            cv2.circle(frame, (x + 3, table - 4), max(2, height // 90), colour, -1)
