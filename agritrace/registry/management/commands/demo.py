from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from agritrace.demo import DEMO_SEED, DemoError, build_demo, format_logins


class Command(BaseCommand):
    help = (
        "Fill an empty database with a demo province (Đắk Lắk): authorities, cooperatives, "
        "households and plots, packing houses, files at every step, and a login per role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="Random seed")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="SQLite only: delete every record first, then build the demo again",
        )

    def handle(self, *args, seed: int, reset: bool, **options):
        if reset:
            reset_sqlite(self.stdout)
        try:
            result = build_demo(seed=seed)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        if result["created"]:
            self.stdout.write(self.style.SUCCESS(describe(result)))
            self.stdout.write(_("Codes issued: %(c)s") % {"c": ", ".join(result["codes"])})
            for uri in result.get("stamp_uris", []):
                self.stdout.write(
                    _("A stamp to scan (open it in a browser): %(uri)s") % {"uri": uri}
                )
        else:
            self.stdout.write(_("Demo data is already present: nothing was changed."))
        self.stdout.write(format_logins(result["logins"], result["password"]))


def describe(result: dict) -> str:
    return (
        _(
            "Demo data created: %(planting_areas)d planting areas, %(households)d households, "
            "%(plots)d plots, %(packing_houses)d packing houses, %(applications)d applications, "
            "%(trace_events)d traceability events, %(stamps)d stamps, "
            "%(audit_entries)d audit entries."
        )
        % result["counts"]
    )


def reset_sqlite(stdout) -> None:
    """Empty an SQLite database and load the reference data again. Refused elsewhere: a
    PostgreSQL database is taken to hold real records."""
    if connection.vendor != "sqlite":
        raise CommandError(
            _(
                "--reset deletes every record and is refused on %(db)s: it only works on the "
                "SQLite development database."
            )
            % {"db": connection.vendor}
        )
    from agritrace.reference import load_reference_data

    stdout.write(
        _("Deleting every record in %(db)s ...") % {"db": settings.DATABASES["default"]["NAME"]}
    )
    call_command("flush", interactive=False, verbosity=0)
    load_reference_data()
