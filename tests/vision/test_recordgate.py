"""The recording gate: what each recording mode writes, and events' before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.vision.recordgate import RecordingGate, RecordMode

T0 = datetime(2026, 12, 7, 2, 13, tzinfo=UTC)
FPS = 15  # a keyframe every second, as the simulator's cameras


class Log:
    def __init__(self) -> None:
        self.written: list[tuple[float, datetime]] = []
        self.finished: list[float] = []

    def write(self, at: float, received: datetime) -> None:
        self.written.append((at, received))

    def finish(self) -> None:
        self.finished.append(round(self.written[-1][0], 3))


def feed(gate: RecordingGate[float], log: Log, start: float, end: float,
         events: tuple[float, ...] = ()) -> None:
    for index in range(round(start * FPS), round(end * FPS)):
        at = index / FPS
        gate.offer(at, at, index % FPS == 0, T0 + timedelta(seconds=at))
        if any(abs(at - event) < 1e-9 for event in events):
            gate.event()


def times(log: Log) -> list[float]:
    return [round(at, 3) for at, _ in log.written]


def test_off_writes_nothing_and_continuous_everything() -> None:
    for mode, count in ((RecordMode.OFF, 0), (RecordMode.CONTINUOUS, 30 * FPS)):
        log = Log()
        gate = RecordingGate(mode, log.write, log.finish)
        feed(gate, log, 0, 30, events=(10.0,))
        assert len(log.written) == count
        gate.close()
        assert log.finished == ([round(30 - 1 / FPS, 3)] if count else [])


def test_an_event_is_recorded_from_ten_seconds_before_to_twenty_after() -> None:
    log = Log()
    gate = RecordingGate(RecordMode.EVENTS, log.write, log.finish)
    feed(gate, log, 0, 20.5, events=(20.0,))
    assert gate.recording
    feed(gate, log, 20.5, 60)
    written = times(log)
    assert written[0] == 10.0  # a keyframe, ten seconds before
    assert written[-1] == round(41 - 1 / FPS, 3)  # up to the first keyframe after 40 s
    assert len(written) == 31 * FPS  # nothing missing in between
    assert log.finished == [written[-1]]
    assert not gate.recording
    # Each item keeps its own arrival time, held ones included.
    assert log.written[0][1] == T0 + timedelta(seconds=10)


def test_a_later_event_extends_the_recording_and_events_leave_no_gap() -> None:
    log = Log()
    gate = RecordingGate(RecordMode.EVENTS, log.write, log.finish)
    feed(gate, log, 0, 70, events=(15.0, 30.0, 62.0))
    written = times(log)
    assert written[0] == 5.0
    # 30 s extends the first recording to 50 s; at 62 s the held footage starts at 52 s.
    assert log.finished == [round(51 - 1 / FPS, 3)]
    second = written[written.index(round(51 - 1 / FPS, 3)) + 1]
    assert second == 52.0
    gate.close()
    assert len(log.finished) == 2


def test_nothing_is_held_before_the_first_keyframe() -> None:
    log = Log()
    gate = RecordingGate(RecordMode.EVENTS, log.write, log.finish)
    for index in range(5, 10):  # joined mid-group
        gate.offer(index, index / FPS, False, T0)
    gate.event()
    assert log.written == []
    assert gate.recording
