import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.registry import authorisations
from agritrace.registry.management.commands.areas import actor_for


def write_report(command: BaseCommand, report) -> None:
    """A sheet import's report on the terminal: each row's action, then each problem by row
    and column; a CommandError (nothing imported) when there are problems."""
    for entry in report.rows:
        command.stdout.write(
            f"{_('row')} {entry['row']}: {entry['action']} "
            + " ".join(str(v) for k, v in entry.items() if k not in ("row", "action", "id") and v)
        )
    for problem in report.problems:
        where = f"{_('row')} {problem.row}" if problem.row else _("file")
        column = f", {problem.column}" if problem.column else ""
        command.stderr.write(f"{where}{column}: {problem.message}")
    if report.problems:
        raise CommandError(
            _("Nothing was imported: %(n)d problem(s).") % {"n": len(report.problems)}
        )
    counts = ", ".join(
        f"{a}: {report.count(a)}" for a in sorted({r["action"] for r in report.rows})
    )
    if report.applied:
        command.stdout.write(command.style.SUCCESS(_("Imported (%(c)s).") % {"c": counts}))
    else:
        command.stdout.write(
            _("Dry run (%(c)s); nothing was written. Add --apply to import.") % {"c": counts}
        )


def read_file(file: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise CommandError(_("Cannot read %(f)s: %(e)s") % {"f": file, "e": exc}) from None


class SheetImportCommand(BaseCommand):
    """`import FILE --as USER [--apply]` and `template FILE` for one of the small XLSX/CSV
    imports of registry.sheets: a subclass names what it reads and its two functions."""

    reads = "rows"  # what `import` reads, for its help
    template_of: staticmethod
    import_rows: staticmethod

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="import|template")
        imp = sub.add_parser("import", help=f"Read {self.reads}; a dry run unless --apply")
        imp.add_argument("file", help="XLSX or CSV file")
        imp.add_argument("--as", dest="username", required=True, help="User the import acts as")
        imp.add_argument("--apply", action="store_true", help="Record them (default: dry run)")
        tpl = sub.add_parser("template", help="Write the import's workbook")
        tpl.add_argument("file", help="XLSX file to write")

    def handle(self, *args, action: str, **options):
        if action == "template":
            Path(options["file"]).write_bytes(self.template_of())
            self.stderr.write(_("Wrote %(f)s.") % {"f": options["file"]})
            return
        actor = actor_for(options["username"])
        try:
            report = self.import_rows(
                actor, read_file(options["file"]), options["file"], apply=options["apply"]
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:  # the file itself cannot be read
            raise CommandError("; ".join(exc.messages)) from None
        write_report(self, report)


class Command(SheetImportCommand):
    help = "Import paper authorisations to use areas' codes (XLSX or CSV), or write the template."
    reads = "paper authorisations"
    template_of = staticmethod(authorisations.template)
    import_rows = staticmethod(authorisations.import_authorisations)
