from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def recordings_root(settings, tmp_path) -> Path:
    """Each test's recordings storage in its own folder (never var/recordings)."""
    root = tmp_path / "recordings"
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root)}}}
    return root
