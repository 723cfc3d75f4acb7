from django.apps import AppConfig


class StreamsConfig(AppConfig):
    """The stream runtime: one watcher per enabled camera (apps.streams.watcher), its lease,
    the tasks that start and supervise watchers, the snapshot files they write and what they
    send to live viewers. The cameras themselves are configured in apps.cameras."""

    name = "apps.streams"

    def ready(self) -> None:
        from celery.signals import worker_ready, worker_shutting_down

        from apps.streams.recording import sweep_spool_once
        from apps.streams.watcher import shutdown

        # Watchers in a stopping worker release their leases at once instead of letting
        # them expire, so another worker takes over without waiting.
        worker_shutting_down.connect(lambda **_: shutdown.set(), weak=False)
        # What this machine's spool holds from before (a killed worker, a camera that moved
        # elsewhere meanwhile) is stored when the worker starts.
        worker_ready.connect(lambda **_: sweep_spool_once(), weak=False)
