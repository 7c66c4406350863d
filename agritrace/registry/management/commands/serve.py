from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = (
        "Run the web service: gunicorn with --workers processes (default: one per core with a "
        "shared Redis cache, else one), or waitress (--server waitress, and on Windows). Static "
        "files are served by whitenoise."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, host: str, port: int, threads, workers, server, **options):
        serve(self.stdout, host, port, threads, workers=workers, server=server)


def add_server_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="Port to listen on")
    parser.add_argument(
        "--threads", type=int, default=None, help="Threads per worker (gunicorn 4, waitress 8)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Worker processes (gunicorn): default one per core with AGRITRACE_REDIS_URL, else 1",
    )
    parser.add_argument(
        "--server",
        choices=["auto", "gunicorn", "waitress"],
        default="auto",
        help="gunicorn where it runs (Linux, macOS), else waitress",
    )


def address(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(
    stdout,
    host: str,
    port: int,
    threads: int | None = None,
    workers: int | None = None,
    server: str = "auto",
) -> None:
    """Serve until stopped (Ctrl+C, SIGTERM): the scans still buffered are written first."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    from agritrace import server as servers
    from agritrace.site import set_served

    # Links outside a request (and the QR codes) follow the address served on.
    set_served(host, port)
    # whitenoise serves from the finders; an absent STATIC_ROOT would only make it warn
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    application = get_wsgi_application()
    use_gunicorn = server == "gunicorn" or (server == "auto" and servers.gunicorn_available())
    if server == "gunicorn" and not servers.gunicorn_available():
        raise CommandError(_("gunicorn is not available here: use --server waitress."))
    workers = workers or (servers.default_workers() if use_gunicorn else 1)
    if workers < 1 or (threads is not None and threads < 1):
        raise CommandError(_("--workers and --threads must be at least 1."))
    if use_gunicorn:
        how = _("gunicorn, %(w)s worker processes × %(t)s threads") % {
            "w": workers,
            "t": threads or 4,
        }
    else:
        how = _("waitress, 1 process × %(t)s threads") % {"t": threads or 8}
    stdout.write(
        _("AgriTrace is serving at %(url)s (%(how)s; Ctrl+C stops it)")
        % {"url": address(host, port), "how": how}
    )
    if workers > 1 and not servers.shared_cache():
        stdout.write(
            _(
                "Note: without AGRITRACE_REDIS_URL each worker has its own cache: a recall or a "
                "suspension reaches the other workers' stamp pages within "
                "AGRITRACE_STAMP_SUMMARY_TTL seconds, and the rate limit is per worker."
            )
        )
    if host not in LOCAL_HOSTS and set(settings.ALLOWED_HOSTS) <= LOCAL_HOSTS | {"[::1]"}:
        stdout.write(
            _(
                "Note: AGRITRACE_ALLOWED_HOSTS names only local hosts, so requests for other "
                "host names are refused."
            )
        )
    stdout.flush()
    # no connection crosses the fork (workers open their own); one inside a transaction (a
    # test's) stays
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()
    if use_gunicorn:
        servers.run_gunicorn(application, host, port, workers, threads or 4)
    else:
        servers.run_waitress(application, host, port, threads or 8)
