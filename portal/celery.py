"""The Celery application. Cluster mode runs it with a Redis broker; embedded mode runs the same
tasks on the in-process executor, so task code never needs to know which mode it is in."""

import os

from celery import Celery
from celery.signals import worker_ready, worker_shutting_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _collect_beat_schedule(sender: Celery, **kwargs) -> None:
    # Finalized once Django is set up (the worker and beat set it up while importing the
    # tasks), so the apps' schedule modules can be found and read their settings.
    from apps.core.periodic import beat_schedule

    sender.conf.beat_schedule = beat_schedule()


@worker_ready.connect
def _start_heartbeat(sender, **kwargs) -> None:
    from apps.core import heartbeat
    from apps.streams.watcher import watching

    queues = [q.name for q in sender.app.amqp.queues.consume_from.values()]
    heartbeat.start(sender.hostname, queues, cameras=lambda: list(watching))


@worker_shutting_down.connect
def _stop_heartbeat(**kwargs) -> None:
    from apps.core import heartbeat

    heartbeat.stop()
