from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.places.abbreviations import listing, set_abbreviation
from agritrace.registry.management.commands.areas import actor_for


class Command(BaseCommand):
    help = "Province abbreviations in codes: list them, or set one (as the authority)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="list|set")
        show = sub.add_parser("list", help="The abbreviations with their source")
        show.add_argument("--all", action="store_true", help="Include earlier (inactive) ones")
        put = sub.add_parser("set", help="Enter or change a current province's abbreviation")
        put.add_argument("province", help="Current province: name or official code")
        put.add_argument("abbreviation", help="Two or three letters, as on the codes")
        put.add_argument("--source", required=True, help="Where it comes from")
        put.add_argument("--source-date", type=date.fromisoformat, help="YYYY-MM-DD")
        put.add_argument("--as", dest="username", required=True, help="Authority user")

    def handle(self, *args, action: str, **options):
        if action == "list":
            for row in listing(include_inactive=options["all"]):
                state = "" if row.active else _(" (earlier)")
                when = row.source_date.isoformat() if row.source_date else "-"
                self.stdout.write(
                    f"{row.abbreviation:<4} {row.province.tree} {row.province.code:>3} "
                    f"{row.province.name}{state}  [{row.source}; {when}]"
                )
            return
        actor = actor_for(options["username"])
        try:
            row = set_abbreviation(
                actor,
                options["province"],
                options["abbreviation"],
                options["source"],
                options["source_date"],
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("%(province)s: abbreviation %(abbr)s.")
                % {"province": row.province.name, "abbr": row.abbreviation}
            )
        )
