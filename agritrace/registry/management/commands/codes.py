"""agritrace codes import FILE --as USER [--apply] | template FILE: codes issued before
AgriTrace, with their history, from the Plant Protection Department's lists (dry run by
default), and the template workbook of those lists. agritrace codes suspend|reinstate|revoke
CODE --as USER --reason TEXT [--effective-date DATE] [--until DATE]: a move of an issued code,
back-dated within the authority's limit when the decision was taken earlier."""

from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.accounts.access import visible
from agritrace.registry import code_import, code_import_read, lifecycle
from agritrace.registry.codes import CODE_RE, parse_code
from agritrace.registry.models import PackingHouse, PlantingArea

from .areas import actor_for


class Command(BaseCommand):
    help = (
        "Existing codes: check (default) or apply an XLSX/CSV list of codes already issued, "
        "with their issue dates, market approvals, suspensions and revocations; write the "
        "template."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="import|template|suspend|reinstate|revoke"
        )
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
        for move in ("suspend", "reinstate", "revoke"):
            cmd = sub.add_parser(move, help=f"{move.capitalize()} an issued code")
            cmd.add_argument("code", help="The code, e.g. VN-DLOR-0017")
            cmd.add_argument("--as", dest="username", required=True, help="Act as this user")
            cmd.add_argument("--reason", default="", help="Why (required, except to reinstate)")
            cmd.add_argument(
                "--effective-date",
                dest="effective_date",
                help="The day the decision took effect (YYYY-MM-DD; default today)",
            )
            if move == "suspend":
                cmd.add_argument("--until", help="Last day of the suspension (YYYY-MM-DD)")

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(options)

    def _suspend(self, options):
        self._move("suspend", options)

    def _reinstate(self, options):
        self._move("reinstate", options)

    def _revoke(self, options):
        self._move("revoke", options)

    def _move(self, move: str, options) -> None:
        actor = actor_for(options["username"])
        raw = options["code"].strip()
        code = parse_code(raw) if CODE_RE.match(raw) else raw
        holder = None
        for model in (PlantingArea, PackingHouse):
            holder = holder or visible(actor, model.objects.filter(code=code)).first()
        if holder is None:
            raise CommandError(_("No code %(c)s in your scope.") % {"c": code})
        effective = _day(options.get("effective_date"), "--effective-date")
        try:
            if move == "suspend":
                until = _day(options.get("until"), "--until")
                lifecycle.suspend(holder, actor, options["reason"], until, effective)
            elif move == "reinstate":
                lifecycle.reinstate(holder, actor, options["reason"], effective)
            else:
                lifecycle.revoke(holder, actor, options["reason"], effective)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            lines = [f"{f}: {m}" for f, ms in exc.message_dict.items() for m in ms]
            raise CommandError("; ".join(lines)) from None
        holder.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"{holder.code}: {holder.get_code_status_display()}"))

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


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(o)s: the date must look like 2026-06-30.") % {"o": option}
        ) from None
