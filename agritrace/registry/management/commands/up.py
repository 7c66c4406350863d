from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from agritrace.accounts.models import Organisation
from agritrace.demo import DEMO_PASSWORD, build_demo, demo_exists, demo_logins, format_logins
from agritrace.site import set_served
from agritrace.stamps.demo import demo_stamp_uris

from .demo import describe
from .serve import add_server_arguments, address, serve


class Command(BaseCommand):
    help = (
        "Start everything: migrate the database, add the demo province if the database is "
        "empty, print the address and the demo logins, and serve."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not add demo data to an empty database"
        )

    def handle(
        self, *args, host: str, port: int, threads, workers, server, no_demo: bool, **options
    ):
        # The demo's stamps and the links printed below point where this serves.
        set_served(host, port)
        self.stdout.write(_("Preparing the database ..."))
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and not Organisation.objects.exists():
            self.stdout.write(_("The database is empty: adding the demo province ..."))
            self.stdout.write(self.style.SUCCESS(describe(build_demo())))
        self.stdout.write("")
        self.stdout.write(_("Open %(url)s in a browser.") % {"url": address(host, port)})
        if demo_exists():
            self.stdout.write(format_logins(demo_logins(), DEMO_PASSWORD))
            stamps = demo_stamp_uris()
            if stamps:
                self.stdout.write(
                    _("A stamp to scan (open it in a browser): %(uri)s") % {"uri": stamps[0]}
                )
            # This installation is a demo: the login page lists the demo accounts.
            settings.AGRITRACE_SHOW_DEMO_LOGINS = True
        self.stdout.write("")
        serve(self.stdout, host, port, threads, workers=workers, server=server)
