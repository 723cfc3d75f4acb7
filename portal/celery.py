"""The Celery application. Cluster mode runs it with a Redis broker; embedded mode runs the same
tasks on the in-process executor, so task code never needs to know which mode it is in."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
