"""Static files the serving process can actually serve.

Embedded mode serves them straight from the app and project folders (whitenoise's finders,
portal.settings.embedded), so a fresh clone needs no collectstatic. Cluster mode serves the
collected, hashed copies: `serve` collects them when a source changed, and a process started without
them fails at once with what to run, instead of answering every page with a 500.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command


def _manifest() -> Path | None:
    """The manifest the static storage needs, or None when it needs none."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return None
    return Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name


def _newest_source_mtime() -> float:
    newest = 0.0
    for finder in get_finders():
        for path, storage in finder.list([]):
            newest = max(newest, storage.get_modified_time(path).timestamp())
    return newest


def collect_if_changed() -> bool:
    """Collect the static files when their manifest is missing or older than a source;
    True when it collected."""
    manifest = _manifest()
    if manifest is None:
        return False
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    return True


def require_collected() -> None:
    manifest = _manifest()
    if manifest is not None and not manifest.exists():
        raise ImproperlyConfigured(
            f"Static files are not collected ({manifest} is missing): run "
            "`python manage.py collectstatic --noinput` first (`make serve` and "
            "`manage.py serve` do it).")
