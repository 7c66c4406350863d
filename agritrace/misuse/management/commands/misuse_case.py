"""agritrace misuse_case: the officer's steps on a misuse case from the command line, acting as
a person (their organisation's scope and role apply, as on the pages and the API).

agritrace misuse_case show CASE --as USER
agritrace misuse_case review|confirm|note CASE --as USER [--note TEXT]
agritrace misuse_case dismiss CASE --as USER --reason TEXT
agritrace misuse_case act CASE --as USER --action warning|inspection|suspension|revocation
    [--reason TEXT] [--due-date YYYY-MM-DD] [--until YYYY-MM-DD]
agritrace misuse_case rule CODE --as USER [--set NAME=NUMBER ...] [--enable|--disable]
"""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.misuse import access, thresholds, workflow
from agritrace.misuse.models import CaseAction
from agritrace.registry.management.commands.areas import actor_for


class Command(BaseCommand):
    help = "The officer's steps on a misuse case (review, dismiss, confirm, act, note) and rules."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="step", required=True, metavar="show|review|dismiss|confirm|act|note|rule"
        )
        for name in ("show", "review", "dismiss", "confirm", "act", "note"):
            p = sub.add_parser(name, help=f"{name} a case")
            p.add_argument("case", type=int, help="the case's number")
            p.add_argument("--as", dest="username", required=True, help="user acting")
            p.add_argument("--note", default="")
            p.add_argument("--reason", default="")
            if name == "act":
                p.add_argument("--action", required=True, choices=CaseAction.values)
                p.add_argument("--due-date", dest="due_date", default=None)
                p.add_argument("--until", default=None)
        rule = sub.add_parser("rule", help="set a rule's thresholds or switch it on/off")
        rule.add_argument("code")
        rule.add_argument("--as", dest="username", required=True, help="user acting")
        rule.add_argument("--set", dest="values", action="append", default=[], metavar="N=V")
        switch = rule.add_mutually_exclusive_group()
        switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
        switch.add_argument("--disable", dest="enabled", action="store_false")

    def handle(self, *args, step: str, username: str, **options):
        actor = actor_for(username)
        try:
            if step == "rule":
                self._rule(actor, options["code"], options["values"], options["enabled"])
                return
            case = access.get_case(actor, options["case"])
            if step == "act":
                workflow.act(
                    actor,
                    case,
                    options["action"],
                    options["reason"] or options["note"],
                    due_date=options["due_date"],
                    until=options["until"],
                )
            elif step == "dismiss":
                workflow.dismiss(actor, case, options["reason"] or options["note"])
            elif step != "show":
                workflow.STEPS[step](actor, case, options["note"] or options["reason"])
            case.refresh_from_db()
            self.stdout.write(
                f"#{case.pk} {case.rule.code} {case.code or case.subject_key} {case.season}: "
                f"{case.status}{' · ' + case.action if case.action else ''} "
                f"({_('score')} {case.score:.2f})"
            )
            if step == "show":
                self.stdout.write(case.summary)
                self.stdout.write(json.dumps(case.evidence, ensure_ascii=False, default=str))
                for s in case.steps.select_related("by"):
                    who = s.by.get_username() if s.by_id else "—"
                    self.stdout.write(f"  {s.at:%Y-%m-%d %H:%M} {who}: {s.to_status} {s.note}")
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("You may not do this.")) from exc
        except Http404 as exc:
            raise CommandError(_("Not found in your scope.")) from exc
        except ValidationError as exc:
            errors = getattr(exc, "message_dict", {"": exc.messages})
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" if k else " ".join(v) for k, v in errors.items())
            ) from exc

    def _rule(self, actor, code: str, values: list[str], enabled) -> None:
        parsed = {}
        for item in values:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(_("Give a threshold as NAME=NUMBER: %(v)s") % {"v": item})
            try:
                parsed[name.strip()] = float(value)
            except ValueError:
                raise CommandError(_("Not a number: %(v)s") % {"v": item}) from None
        rule = thresholds.update_rule(actor, code, parsed or None, enabled)
        self.stdout.write(f"{rule.code}: {json.dumps(rule.thresholds)} enabled={rule.enabled}")
