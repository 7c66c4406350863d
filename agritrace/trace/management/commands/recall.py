"""agritrace recall: start a recall from a failed residue sample or a notice, list recalls,
or tell whether a lot is recalled. Acts as a named user, with that user's rights (province
or plant-protection office) and scope, like the web and the API."""

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.trace import recall


class Command(BaseCommand):
    help = (
        "Recalls: start (--sample CODE or --notice ID) --as USER, close REFERENCE --as USER "
        "--outcome completed|lifted --note TEXT, list --as USER, status URI."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="start|close|list|status")
        start = sub.add_parser("start", help="Recall every lot reached from a sample or notice")
        start.add_argument("--as", dest="username", required=True, help="acting user")
        which = start.add_mutually_exclusive_group(required=True)
        which.add_argument("--sample", help="code of the failed residue sample")
        which.add_argument("--notice", type=int, help="id of the importing country's notice")
        start.add_argument("--reason", default="")
        close = sub.add_parser("close", help="Close a recall: completed or lifted")
        close.add_argument("reference", help="the recall's reference, e.g. RC-2026-0001")
        close.add_argument("--as", dest="username", required=True, help="acting user")
        close.add_argument("--outcome", required=True, choices=["completed", "lifted"])
        close.add_argument("--note", required=True, help="how the recall was resolved")
        listing = sub.add_parser("list", help="Recalls in the user's scope")
        listing.add_argument("--as", dest="username", required=True)
        status = sub.add_parser("status", help="Is this lot recalled?")
        status.add_argument("uri")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("You may not do this.")) from exc
        except Http404 as exc:
            raise CommandError(_("Not found in your scope.")) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _actor(self, username: str) -> Actor:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user “%(u)s”.") % {"u": username})
        return Actor.of(user)

    def do_start(self, username, sample=None, notice=None, reason="", **options) -> None:
        from agritrace.supervision.models import Sample

        who = self._actor(username)
        sample_id = None
        if sample:
            found = Sample.objects.filter(code=sample).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(_("No sample “%(c)s”.") % {"c": sample})
            sample_id = found
        done = recall.start_recall(who, sample_id=sample_id, notice_id=notice, reason=reason)
        data = recall.recall_json(done)
        self.stdout.write(recall.started_message(done))
        for uri in data["lots"]:
            self.stdout.write(f"  {uri}")

    def do_close(self, username, reference, outcome, note, **options) -> None:
        from agritrace.trace.models import Recall

        found = Recall.objects.filter(reference=reference).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(_("No recall “%(r)s”.") % {"r": reference})
        done = recall.close_recall(self._actor(username), found, outcome=outcome, note=note)
        self.stdout.write(
            _("Recall %(ref)s closed: %(outcome)s")
            % {"ref": done.reference, "outcome": done.get_outcome_display()}
        )

    def do_list(self, username, **options) -> None:
        for item in recall.recalls(self._actor(username)):
            self.stdout.write(
                f"{item.reference}  {item.created_at:%Y-%m-%d}  {item.status}  {item.reason}"
            )

    def do_status(self, uri, **options) -> None:
        self.stdout.write(json.dumps(recall.lot_status(uri), ensure_ascii=False, indent=2))
