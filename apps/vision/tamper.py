"""Tamper detection: covered lens, defocus, camera moved, frozen image, lost signal.

Works on the small grey frame (frames.small_grey). A reference of the normal scene is learnt over
the first seconds and then follows slow changes (daylight) only while nothing looks wrong. Each
kind of tamper must hold for a few seconds before it is reported and must be gone for a few
seconds before it clears, so one odd frame (a flash, a decode glitch) raises nothing.

Cameras burn a timestamp into the image, which stays sharp and keeps changing when the lens is
covered or out of focus: the measures are taken per grid cell and summarised with medians or
counts so that a cell or two of overlay cannot hide a tamper.
"""

from __future__ import annotations

import enum
import statistics
from dataclasses import dataclass, field

import cv2
import numpy as np

# Focus is judged on the analysis picture at this size (what frames.small_grey gives for 16:9),
# flatness and the scene on the "tiny" picture, an exact halving of it; the map of edges holds
# the mean of each whole 4 x 4 block (whole blocks: a fractional one costs three times more).
_FOCUS = (160, 90)
_TINY = (80, 45)
_EDGE_BLOCK = 4
_EDGES = (_FOCUS[0] // _EDGE_BLOCK, _FOCUS[1] // _EDGE_BLOCK)


class TamperKind(enum.StrEnum):
    COVERED = "covered"
    DEFOCUSED = "defocused"
    MOVED = "moved"
    FROZEN = "frozen"
    SIGNAL_LOST = "signal_lost"


@dataclass(frozen=True)
class TamperConfig:
    # Tamper develops over seconds and must hold for several before it counts: looking once
    # a second is plenty (one analysed frame in five at 5 fps). Frames closer together than
    # this are skipped.
    min_interval: float = 1.0
    learn_seconds: float = 4.0
    # How long a condition must hold before it is reported (all well under 10 s), and how long
    # it must be gone before the report clears.
    onset_seconds: dict[TamperKind, float] = field(
        default_factory=lambda: {
            TamperKind.COVERED: 3.0,
            TamperKind.DEFOCUSED: 4.0,
            TamperKind.MOVED: 4.0,
            TamperKind.FROZEN: 6.0,
        }
    )
    clear_seconds: float = 5.0
    # A defocused lens and a moved camera are judged on the scene every `scene_interval`
    # seconds (a covered lens and a frozen picture at every look): measuring the scene costs
    # twice the rest, and both must hold for 4 s before they count anyway. While the reference
    # is being learnt the scene is measured at every look.
    scene_interval: float = 2.0
    # Weight of each second of normal picture in the reference: it follows changes over
    # minutes (daylight), not seconds (someone standing still in view). A measurement weighs
    # for the seconds since the previous one (2 s when decoding in full, up to 10 s between
    # the looks at an idle camera's keyframes: apps.vision.decoding), at most
    # `reference_max_seconds`, so that one picture after a long gap does not weigh as much.
    reference_alpha: float = 0.005
    reference_max_seconds: float = 10.0
    # Flatness is judged on a fine grid so that overlay text spoils only a few cells; focus on
    # a coarse one, where each cell holds enough of the scene to measure.
    flat_grid: int = 8
    focus_grid: int = 4
    # A cell whose 5th-95th percentile spread is below this is flat (covered, sprayed, black).
    flat_spread: float = 14.0
    covered_cell_fraction: float = 0.8
    # Cells whose reference standard deviation reaches this carry texture to judge focus by.
    textured_std: float = 10.0
    min_textured_cells: int = 3
    defocus_ratio: float = 0.3
    # Moved: the blurred scene or its map of edges no longer correlates with the reference.
    # Normal scenes, people, lights and defocus stay above 0.8; a camera turned by a third of
    # its view falls below 0.5.
    moved_correlation: float = 0.6
    # ... but a crowd crossing the picture, dense traffic or a market lower it as much while
    # the camera stands still. What tells them apart: the parts of the picture that stood
    # still since the previous look (the background between the passers-by) still match the
    # reference when the camera is in place (0.8 and more on the simulator's busy scenes, at
    # most 0.7 for a camera turned away, busy or not). A blurred tiny pixel that changed by
    # less than `still_max_diff` stood still; with less than `min_still_fraction` of the
    # picture still, nothing can be told and the camera is not called moved.
    moved_still_correlation: float = 0.75
    still_max_diff: float = 4.0
    min_still_fraction: float = 0.1
    # Largest pixel difference between frames still counted as "the same picture" (a stalled
    # encoder re-sends a frame with small requantisation changes).
    frozen_max_diff: int = 6
    signal_lost_seconds: float = 20.0


@dataclass(frozen=True)
class TamperEvent:
    kind: TamperKind
    active: bool
    at: float


@dataclass(frozen=True)
class TamperResult:
    active: frozenset[TamperKind]
    events: tuple[TamperEvent, ...]
    learning: bool
    metrics: dict[str, float]


def signal_lost(last_frame_at: float | None, now: float, after: float = 20.0) -> bool:
    """No frame for `after` seconds (both times on one monotonic clock); the reader knows this,
    the detectors never see it because they only run on frames."""
    return last_frame_at is None or now - last_frame_at >= after


@dataclass
class _Reference:
    tiny: np.ndarray  # float32, blurred low-resolution scene
    edges: np.ndarray  # float32, coarse map of where the edges are
    sharpness: np.ndarray  # per focus cell: Laplacian variance / grey variance
    contrast: np.ndarray  # per focus cell: grey variance
    frames: int = 0


@dataclass
class _Debounce:
    since: float | None = None
    absent_since: float | None = None
    active: bool = False


@dataclass(frozen=True)
class _Scene:
    """What a defocused lens and a moved camera are judged on, and the reference is made of."""

    tiny: np.ndarray
    edges: np.ndarray
    sharpness: np.ndarray
    contrast: np.ndarray


# The kinds judged on the scene: between two measurements of it they keep their state.
_SCENE_KINDS = frozenset({TamperKind.DEFOCUSED, TamperKind.MOVED})


class TamperDetector:
    """Feed it small grey frames with their stream time (seconds); one instance per camera."""

    def __init__(self, config: TamperConfig | None = None) -> None:
        self.config = config or TamperConfig()
        self._states = {kind: _Debounce() for kind in self.config.onset_seconds}
        self.reset_reference()

    def reset_reference(self) -> None:
        """Learn the scene again, e.g. after an operator confirms the camera was re-aimed."""
        self._reference: _Reference | None = None
        self._learn_until: float | None = None
        self._previous: np.ndarray | None = None
        self._last_t: float | None = None
        self._last_scene_t: float | None = None
        self._previous_scene: _Scene | None = None

    @property
    def active(self) -> frozenset[TamperKind]:
        return frozenset(kind for kind, state in self._states.items() if state.active)

    @property
    def needs_attention(self) -> bool:
        """Whether something is being looked into: the reference is being learnt, a kind of
        tamper holds and is not reported yet, or a report stands. A reader decoding keyframes
        only then hands over every one (apps.vision.decoding)."""
        learning = (self._learn_until is None or self._last_t is None
                    or self._last_t < self._learn_until)
        return learning or any(state.since is not None or state.active
                               for state in self._states.values())

    def update(self, grey: np.ndarray, t: float) -> TamperResult:
        cfg = self.config
        last = self._last_t
        learning = self._learn_until is None or t < self._learn_until
        if last is not None and 0.0 <= t - last < cfg.min_interval * 0.95:
            return TamperResult(self.active, (), learning, {})
        self._last_t = t
        # At 160 px across, sensor noise (strong at night) averages out while a defocused lens
        # still loses most of its fine detail.
        focus = grey
        if focus.shape != (_FOCUS[1], _FOCUS[0]):
            focus = cv2.resize(focus, _FOCUS, interpolation=cv2.INTER_AREA)
        tiny = cv2.resize(focus, _TINY, interpolation=cv2.INTER_AREA)
        conditions, metrics = self._conditions(grey, tiny)
        self._previous = grey

        scene = None
        last_scene = self._last_scene_t
        if learning or last_scene is None or not 0.0 <= t - last_scene < cfg.scene_interval * 0.95:
            self._last_scene_t = t
            scene = _measure_scene(focus, tiny, cfg.focus_grid)
            if not conditions[TamperKind.COVERED]:
                conditions.update(self._scene_conditions(scene, self._previous_scene, metrics))
            self._previous_scene = scene
            learning = self._learn(scene, t)
        events: list[TamperEvent] = []
        for kind, state in self._states.items():
            if scene is None and kind in _SCENE_KINDS:
                continue
            event = self._debounce(kind, state, conditions.get(kind, False), t)
            if event is not None:
                events.append(event)
        calm = not any(conditions.values()) and not self.active
        if (scene is not None and not learning and calm and self._reference is not None
                and last_scene is not None):
            seconds = min(max(t - last_scene, 0.0), cfg.reference_max_seconds)
            _blend(self._reference, scene, cfg.reference_alpha * seconds)
        return TamperResult(self.active, tuple(events), learning, metrics)

    def _conditions(
        self, grey: np.ndarray, tiny: np.ndarray
    ) -> tuple[dict[TamperKind, bool], dict[str, float]]:
        """A covered lens and a frozen picture, judged at every look."""
        cfg = self.config
        low, high = _percentiles(_cells(tiny, cfg.flat_grid), 0.05, 0.95)
        flat = np.count_nonzero(high - low < cfg.flat_spread) / low.size
        metrics = {"flat_fraction": flat}
        conditions = {TamperKind.COVERED: flat >= cfg.covered_cell_fraction}

        if self._previous is not None and self._previous.shape == grey.shape:
            largest = cv2.norm(grey, self._previous, cv2.NORM_INF)
            metrics["frame_diff"] = largest
            conditions[TamperKind.FROZEN] = largest <= cfg.frozen_max_diff
        return conditions, metrics

    def _scene_conditions(self, scene: _Scene, previous: _Scene | None,
                          metrics: dict[str, float]) -> dict[TamperKind, bool]:
        """A defocused lens and a moved camera, judged against the reference (and, for a
        moved camera, the previous look at the scene)."""
        cfg = self.config
        ref = self._reference
        conditions: dict[TamperKind, bool] = {}
        if ref is None or ref.frames == 0:
            return conditions
        textured = ref.contrast >= cfg.textured_std**2
        if int(textured.sum()) >= cfg.min_textured_cells:
            ratios = scene.sharpness[textured] / np.maximum(ref.sharpness[textured], 1e-6)
            ratio = statistics.median(ratios.tolist())  # np.median costs 40 times more here
            metrics["sharpness_ratio"] = ratio
            conditions[TamperKind.DEFOCUSED] = ratio < cfg.defocus_ratio

        correlation = min(_correlation(scene.tiny, ref.tiny), _correlation(scene.edges, ref.edges))
        metrics["correlation"] = correlation
        moved = correlation < cfg.moved_correlation
        if moved and previous is not None:
            still = (cv2.absdiff(scene.tiny, previous.tiny) < cfg.still_max_diff).astype(np.uint8)
            fraction = cv2.countNonZero(still) / still.size
            metrics["still_fraction"] = fraction
            moved = fraction >= cfg.min_still_fraction
            if moved:
                still_correlation = _correlation(scene.tiny, ref.tiny, still)
                metrics["still_correlation"] = still_correlation
                moved = still_correlation < cfg.moved_still_correlation
        conditions[TamperKind.MOVED] = moved
        return conditions

    def _learn(self, scene: _Scene, t: float) -> bool:
        reference = self._reference
        if reference is None or self._learn_until is None:
            self._learn_until = t + self.config.learn_seconds
            reference = self._reference = _Reference(
                scene.tiny.copy(), scene.edges.copy(), scene.sharpness.copy(), scene.contrast.copy()
            )
        if t >= self._learn_until:
            return False
        # A running mean over the learning period: someone walking past averages out.
        reference.frames += 1
        _blend(reference, scene, 1.0 / reference.frames)
        return True

    def _debounce(
        self, kind: TamperKind, state: _Debounce, condition: bool, t: float
    ) -> TamperEvent | None:
        if condition:
            state.absent_since = None
            if state.since is None:
                state.since = t
            if not state.active and t - state.since >= self.config.onset_seconds[kind]:
                state.active = True
                return TamperEvent(kind, True, t)
            return None
        state.since = None
        if state.active:
            if state.absent_since is None:
                state.absent_since = t
            if t - state.absent_since >= self.config.clear_seconds:
                state.active = False
                state.absent_since = None
                return TamperEvent(kind, False, t)
        return None


def _measure_scene(focus: np.ndarray, tiny: np.ndarray, grid: int) -> _Scene:
    """The scene of a picture at the focus size (and its halving, `tiny`): the blurred tiny
    picture, the map of edges, and per cell of a grid x grid grid sharpness and contrast."""
    picture = focus.astype(np.float32)
    lap_var = _cell_variances(cv2.Laplacian(picture, cv2.CV_32F, ksize=3), grid)
    contrast = _cell_variances(picture, grid)
    magnitude = cv2.magnitude(
        cv2.Sobel(picture, cv2.CV_32F, 1, 0), cv2.Sobel(picture, cv2.CV_32F, 0, 1)
    )
    return _Scene(
        tiny=cv2.GaussianBlur(tiny.astype(np.float32), (5, 5), 0),
        edges=cv2.resize(
            magnitude[: _EDGES[1] * _EDGE_BLOCK, : _EDGES[0] * _EDGE_BLOCK],
            _EDGES,
            interpolation=cv2.INTER_AREA,
        ),
        # Divided by the cell's own contrast, so dimming the lights does not look like defocus.
        sharpness=lap_var / (contrast + 4.0),
        contrast=contrast,
    )


def _cells(image: np.ndarray, grid: int) -> np.ndarray:
    """Split an image into grid x grid cells: one row of pixels per cell."""
    rows, cols = image.shape[0] // grid, image.shape[1] // grid
    trimmed = image[: rows * grid, : cols * grid]
    return trimmed.reshape(grid, rows, grid, cols).swapaxes(1, 2).reshape(grid * grid, -1)


def _cell_variances(image: np.ndarray, grid: int) -> np.ndarray:
    """The variance of each of grid x grid cells (row by row, the cells of `_cells`), as
    E[x^2] - E[x]^2 from two box filters: a third of the cost of splitting the image."""
    rows, cols = image.shape[0] // grid, image.shape[1] // grid
    trimmed = image[: rows * grid, : cols * grid]  # whole cells only, as `_cells` keeps them
    size = (grid, grid)
    mean = cv2.resize(trimmed, size, interpolation=cv2.INTER_AREA)
    mean_of_squares = cv2.resize(trimmed * trimmed, size, interpolation=cv2.INTER_AREA)
    return np.maximum(mean_of_squares - mean * mean, 0.0).ravel()


def _percentiles(rows: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The `low` and `high` quantiles of each row (nearest rank) of a uint8 array: one sort of
    every row in OpenCV, which costs a third less than NumPy's partial sort of each row and
    a tenth of np.percentile on these small rows."""
    last = rows.shape[1] - 1
    ordered = cv2.sort(rows, cv2.SORT_EVERY_ROW | cv2.SORT_ASCENDING)
    return ordered[:, round(low * last)], ordered[:, round(high * last)]


def _correlation(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Pearson's correlation of two float32 pictures of one size (over the non-zero pixels
    of a uint8 `mask` if given), as (E[ab] - E[a]E[b]) / (sd(a) sd(b)): four OpenCV calls
    (which sum in double precision) instead of centring both pictures first."""
    mean_a, sd_a = cv2.meanStdDev(a, mask=mask)
    mean_b, sd_b = cv2.meanStdDev(b, mask=mask)
    denominator = float(sd_a[0, 0] * sd_b[0, 0])
    if denominator < 1e-6:
        return 0.0
    covariance = cv2.mean(cv2.multiply(a, b), mask=mask)[0] - float(mean_a[0, 0] * mean_b[0, 0])
    return covariance / denominator


def _blend(reference: _Reference, scene: _Scene, alpha: float) -> None:
    for name in ("tiny", "edges", "sharpness", "contrast"):
        cv2.accumulateWeighted(getattr(scene, name), getattr(reference, name), alpha)
