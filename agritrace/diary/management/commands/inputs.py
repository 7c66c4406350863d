"""agritrace inputs import FILE | export FILE: the input catalogue as an Excel workbook."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.diary.transfer import ImportFailed, export_catalogue, import_catalogue
from agritrace.registry.management.commands.areas import actor_for


class Command(BaseCommand):
    help = (
        "Import the input catalogue (pesticides, pre-harvest intervals, fertilisers, market "
        "rules, crop yields) from an Excel workbook, all or nothing; or export it."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="import|export")
        imp = sub.add_parser("import", help="Read the catalogue from a workbook (.xlsx)")
        imp.add_argument("file", help="Workbook: one sheet per table (see diary/transfer.py)")
        imp.add_argument(
            "--as",
            dest="username",
            help="Act as this user (an authority); default: the server's operator",
        )
        out = sub.add_parser("export", help="Write the catalogue to a workbook")
        out.add_argument("file", help="Workbook to write (.xlsx)")

    def handle(self, *args, action: str, **options):
        if action == "export":
            data = export_catalogue()
            Path(options["file"]).write_bytes(data)
            self.stdout.write(
                _("Wrote %(n)d bytes to %(f)s.") % {"n": len(data), "f": options["file"]}
            )
            return
        actor = actor_for(options["username"]) if options.get("username") else None
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(f)s: %(e)s") % {"f": options["file"], "e": exc}
            ) from None
        try:
            result = import_catalogue(actor, data)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("Nothing was imported: %(n)d problem(s).") % {"n": len(exc.problems)}
            ) from None
        self.stdout.write(self.style.SUCCESS(_("Imported: %(s)s.") % {"s": result.summary()}))
