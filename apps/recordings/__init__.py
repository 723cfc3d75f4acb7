"""Recorded video (see apps.recordings.apps.RecordingsConfig)."""

# Events-only recording keeps at least this much video around each event (seconds).
EVENT_BEFORE = 10.0
EVENT_AFTER = 20.0
