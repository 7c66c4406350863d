from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = "Run the web service with waitress (static files are served by whitenoise)."

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        serve(self.stdout, host, port, threads)


def add_server_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="Port to listen on")
    parser.add_argument("--threads", type=int, default=8, help="Worker threads")


def address(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(stdout, host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted."""
    import waitress
    from django.core.wsgi import get_wsgi_application

    from agritrace.site import set_served

    # Links outside a request (and the QR codes) follow the address served on.
    set_served(host, port)
    # whitenoise serves from the finders; an absent STATIC_ROOT would only make it warn
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    application = get_wsgi_application()
    stdout.write(
        _("AgriTrace is serving at %(url)s (Ctrl+C stops it)") % {"url": address(host, port)}
    )
    if host not in LOCAL_HOSTS and set(settings.ALLOWED_HOSTS) <= LOCAL_HOSTS | {"[::1]"}:
        stdout.write(
            _(
                "Note: AGRITRACE_ALLOWED_HOSTS names only local hosts, so requests for other "
                "host names are refused."
            )
        )
    stdout.flush()
    waitress.serve(application, host=host, port=port, threads=threads)
