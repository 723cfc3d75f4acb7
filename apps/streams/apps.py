from django.apps import AppConfig


class StreamsConfig(AppConfig):
    """The stream runtime: one watcher per enabled camera (apps.streams.watcher), its lease,
    the tasks that start and supervise watchers, the snapshot files they write and what they
    send to live viewers. The cameras themselves are configured in apps.cameras."""

    name = "apps.streams"

    def ready(self) -> None:
        from celery.signals import worker_shutting_down

        from apps.streams.watcher import shutdown

        # Watchers in a stopping worker release their leases at once instead of letting
        # them expire, so another worker takes over without waiting.
        worker_shutting_down.connect(lambda **_: shutdown.set(), weak=False)
