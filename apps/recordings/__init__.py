"""Recorded video (see apps.recordings.apps.RecordingsConfig)."""
