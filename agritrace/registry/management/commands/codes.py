"""agritrace codes import FILE --as USER [--apply] | template FILE: codes issued before
AgriTrace, with their history, from the Plant Protection Department's lists (dry run by
default), and the template workbook of those lists."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.registry import code_import, code_import_read

from .areas import actor_for


class Command(BaseCommand):
    help = (
        "Existing codes: check (default) or apply an XLSX/CSV list of codes already issued, "
        "with their issue dates, market approvals, suspensions and revocations; write the "
        "template."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="import|template")
        imp = sub.add_parser("import", help="Check or apply a list of codes already issued")
        imp.add_argument("file", help="XLSX workbook or CSV file, columns as in the template")
        imp.add_argument("--as", dest="username", required=True, help="Act as this user")
        imp.add_argument(
            "--apply",
            action="store_true",
            help="Apply the file (all rows or none); without it, only report what would change",
        )
        tpl = sub.add_parser("template", help="Write the template workbook (.xlsx)")
        tpl.add_argument("file")

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(options)

    def _template(self, options):
        data = code_import_read.template_xlsx()
        Path(options["file"]).write_bytes(data)
        self.stdout.write(_("Wrote %(n)d bytes to %(f)s.") % {"n": len(data), "f": options["file"]})

    def _import(self, options):
        actor = actor_for(options["username"])
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(f)s: %(e)s") % {"f": path, "e": exc}) from None
        try:
            report = code_import.import_codes(actor, content, path.name)
            if options["apply"] and report.ok:
                report = code_import.import_codes(actor, content, path.name, apply=True)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.stderr.write(f"{field}: {message}")
            raise CommandError(_("Nothing was imported.")) from None
        for row in report.rows:
            changes = "; ".join(row.changes)
            self.stdout.write(
                f"{_('row')} {row.row}\t{row.code}\t{row.action}"
                + (f"\t{changes}" if changes else "")
            )
        for problem in report.problems:
            self.stderr.write(
                _("row %(n)s, %(column)s: %(message)s")
                % {"n": problem.row, "column": problem.column, "message": problem.message}
            )
        counts = report.counts
        summary = (
            _(
                "%(create)s to create, %(update)s to update, %(unchanged)s unchanged, "
                "%(problems)s problem(s)."
            )
            % counts
        )
        if report.problems:
            raise CommandError(summary + " " + _("Nothing was imported."))
        if report.applied:
            self.stdout.write(self.style.SUCCESS(_("Applied: %(s)s") % {"s": summary}))
        else:
            self.stdout.write(summary + " " + _("Dry run: add --apply to import."))
