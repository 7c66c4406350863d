"""The Celery application: long work (large captures first; exports, misuse scans, portal sync
and e-mail can follow) runs on `agritrace worker` processes when a broker is configured
(`CELERY_BROKER_URL`, else `AGRITRACE_REDIS_URL`). Without one, `agritrace.tasks` runs the
same work in the web process itself, so `bash scripts/run.sh` needs nothing else.

Tasks are plain functions registered by name in `agritrace.task_registry.TASKS`; this module wraps
each in one Celery task of the same name, so a function is written once and runs under either
runner."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")

app = Celery("agritrace")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _register() -> None:
    from agritrace import task_registry as tasks

    for name in tasks.TASKS:
        app.task(name=name, bind=False, acks_late=True)(_runner(name))


def _runner(name: str):
    def run(*args):
        from agritrace import task_registry as tasks

        return tasks.run_now(name, *args)

    run.__name__ = name.rsplit(".", 1)[-1]
    return run


_register()
