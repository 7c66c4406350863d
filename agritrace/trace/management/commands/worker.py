"""agritrace worker [--concurrency N] [--loglevel info]: a Celery worker that runs the
background work of every app (agritrace/tasks.py: large capture jobs first) from the broker
(CELERY_BROKER_URL, else AGRITRACE_REDIS_URL). Without a broker there is nothing to run:
the web process runs that work in a thread of its own."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Run a Celery worker for the background work (large capture jobs)."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=1, help="Processes (default 1)")
        parser.add_argument("--loglevel", default="info")
        parser.add_argument("--hostname", default="", help="The worker's node name")

    def handle(self, *args, **options):
        from agritrace import tasks
        from agritrace.celery import app

        if not tasks.broker_url():
            raise CommandError(
                _(
                    "No broker: set CELERY_BROKER_URL or AGRITRACE_REDIS_URL (e.g. "
                    "redis://127.0.0.1:6379/1). Without one the web process runs the "
                    "background work itself."
                )
            )
        argv = [
            "worker",
            f"--concurrency={options['concurrency']}",
            f"--loglevel={options['loglevel']}",
            "--pool=prefork" if options["concurrency"] > 1 else "--pool=solo",
        ]
        if options["hostname"]:
            argv.append(f"--hostname={options['hostname']}")
        app.worker_main(argv)
