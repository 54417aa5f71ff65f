"""The Celery application. Settings come from Django's, under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("tsdash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def relay_at_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that (re)starts picks up at once what a lost worker or broker outage left."""
    app.send_task("outbox.tasks.relay", ignore_result=True, queue=app.conf.task_default_queue)
