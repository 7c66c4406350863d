from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.registry.management.commands.areas import actor_for
from agritrace.registry.management.commands.authorisations import read_file, write_report
from agritrace.supervision import calendar


class Command(BaseCommand):
    help = "Import harvest season calendars (XLSX or CSV), or write the template."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="import|template")
        imp = sub.add_parser("import", help="Read season calendars; a dry run unless --apply")
        imp.add_argument("file", help="XLSX or CSV file")
        imp.add_argument("--as", dest="username", required=True, help="User the import acts as")
        imp.add_argument("--apply", action="store_true", help="Record them (default: dry run)")
        tpl = sub.add_parser("template", help="Write the import's workbook")
        tpl.add_argument("file", help="XLSX file to write")

    def handle(self, *args, action: str, **options):
        if action == "template":
            Path(options["file"]).write_bytes(calendar.template())
            self.stderr.write(_("Wrote %(f)s.") % {"f": options["file"]})
            return
        actor = actor_for(options["username"])
        try:
            report = calendar.import_calendars(
                actor, read_file(options["file"]), options["file"], apply=options["apply"]
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        write_report(self, report)
