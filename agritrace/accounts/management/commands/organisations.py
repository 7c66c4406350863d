from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.accounts import invitations, org_import
from agritrace.accounts import organisations as orgs
from agritrace.accounts.models import OrgKind, Role
from agritrace.registry.management.commands.areas import actor_for


class Command(BaseCommand):
    help = (
        "Organisations: list or show them, import a province's cooperatives, packing houses "
        "and exporters from XLSX (a dry run unless --apply), write the template, invite people."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="list|show|import|template|invite"
        )
        show_all = sub.add_parser("list", help="The organisations the user may see")
        show_all.add_argument("--as", dest="username", required=True)
        show_all.add_argument("--kind", choices=OrgKind.values)
        show = sub.add_parser("show", help="One organisation by identifier, GLN or id")
        show.add_argument("key")
        show.add_argument("--as", dest="username", required=True)
        imp = sub.add_parser("import", help="Read organisations from an XLSX workbook")
        imp.add_argument("file")
        imp.add_argument("--as", dest="username", required=True)
        imp.add_argument("--apply", action="store_true", help="Write (default: a dry run)")
        tpl = sub.add_parser("template", help="Write the import workbook's template")
        tpl.add_argument("file")
        inv = sub.add_parser("invite", help="Invite a person by e-mail into an organisation")
        inv.add_argument("key", help="The organisation's identifier, GLN or id")
        inv.add_argument("--email", required=True)
        inv.add_argument("--role", choices=Role.values, default=Role.STAFF)
        inv.add_argument("--first-name", default="")
        inv.add_argument("--last-name", default="")
        inv.add_argument("--as", dest="username", required=True)

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except Http404:
            raise CommandError(_("No such organisation that this user may see.")) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    def do_list(self, username: str, kind: str | None = None, **options) -> None:
        for org in orgs.organisations(actor_for(username), kind or ""):
            self.stdout.write(f"{org.identifier:<16} {org.kind:<24} {org.name}  ({org.unit.name})")

    def do_show(self, key: str, username: str, **options) -> None:
        actor = actor_for(username)
        org = orgs.find(actor, key)
        for label, value in [
            (_("identifier"), org.identifier),
            (_("name"), org.name),
            (_("kind"), org.get_kind_display()),
            (_("place"), org.unit.full_name()),
            ("GLN", org.gln or "-"),
            (_("tax code"), org.tax_code or "-"),
        ]:
            self.stdout.write(f"{label}: {value}")
        people = orgs.members(actor, org)
        for m in people or []:
            state = _("active") if m.user.is_active else _("invited")
            self.stdout.write(f"  {m.user.username}  {m.role}  {state}")

    def do_template(self, file: str, **options) -> None:
        Path(file).write_bytes(org_import.template())
        self.stderr.write(_("Wrote %(f)s.") % {"f": file})

    def do_import(self, file: str, username: str, apply: bool = False, **options) -> None:
        actor = actor_for(username)
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(f)s: %(e)s") % {"f": file, "e": exc}) from None
        report = org_import.import_organisations(actor, content, apply)
        if not report.ok:
            for e in report.errors:
                self.stderr.write(f"row {e.row}, {e.column} ({e.cell}): {e.message}")
            raise CommandError(
                _("Nothing was imported: %(n)d problem(s).") % {"n": len(report.errors)}
            )
        for r in report.rows:
            changes = f" ({', '.join(r.changes)})" if r.changes else ""
            self.stdout.write(f"row {r.row}: {r.action}{changes}  {r.name}  {r.identifier}")
        summary = report.as_dict()
        message = (
            _("Imported: %(c)d new, %(u)d changed, %(s)d unchanged.")
            if report.applied
            else _(
                "Dry run (nothing written; --apply to write): %(c)d new, %(u)d changed, "
                "%(s)d unchanged."
            )
        ) % {"c": summary["created"], "u": summary["updated"], "s": summary["unchanged"]}
        self.stdout.write(self.style.SUCCESS(message))

    def do_invite(self, key: str, email: str, role: str, username: str, **options) -> None:
        actor = actor_for(username)
        org = orgs.find(actor, key)
        user, resent = invitations.invite(
            actor, org, email, role, options["first_name"], options["last_name"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("Invited %(u)s (%(e)s) into %(o)s%(again)s: a link to set a password was sent.")
                % {
                    "u": user.username,
                    "e": user.email,
                    "o": org.name,
                    "again": _(" again") if resent else "",
                }
            )
        )
