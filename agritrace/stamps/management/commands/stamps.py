from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agritrace.registry.management.commands.areas import actor_for
from agritrace.stamps import issuers, services, signing


def _problem(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{f}: {m}" for f, msgs in exc.message_dict.items() for m in msgs)
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = "Traceability stamps: request, void, export serials, look up, rotate the signing key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="request|void|export|lookup|rotate-key"
        )
        req = sub.add_parser(
            "request", help="Request stamps for a lot your packing house packed or you own"
        )
        req.add_argument("--as", dest="username", required=True)
        req.add_argument(
            "--lot", required=True, help="Lot identifier (LGTIN URN/URI or ours, or OWNER:LOT)"
        )
        req.add_argument("--count", required=True, type=int)
        void = sub.add_parser("void", help="Void stamps (damaged labels)")
        void.add_argument("serials", nargs="+")
        void.add_argument("--as", dest="username", required=True)
        void.add_argument("--reason", required=True)
        exp = sub.add_parser("export", help="Write a batch's serials and URIs as CSV")
        exp.add_argument("batch", help="Batch id")
        exp.add_argument("--as", dest="username", required=True)
        exp.add_argument("--output", "-o", help="File to write (default: standard output)")
        look = sub.add_parser("lookup", help="What a stamp's URI or serial says")
        look.add_argument("uri_or_serial")
        sub.add_parser("rotate-key", help="Add a new signing key and make it the active one")

    def handle(self, *args, action: str, **options):
        try:
            if action == "request":
                actor = actor_for(options["username"])
                batch = services.request_stamps(actor, options["lot"], options["count"])
                self.stdout.write(
                    _("Batch %(id)s: %(n)s stamps for %(lot)s.")
                    % {"id": batch.pk, "n": batch.count, "lot": batch.lot.uri}
                )
            elif action == "void":
                actor = actor_for(options["username"])
                n = services.void_stamps(actor, options["serials"], options["reason"])
                self.stdout.write(
                    ngettext("%(n)s stamp voided.", "%(n)s stamps voided.", n) % {"n": n}
                )
            elif action == "export":
                actor = actor_for(options["username"])
                batch = services.get_batch(actor, options["batch"])
                body = services.export_csv(actor, batch)
                if options["output"]:
                    Path(options["output"]).write_text(body, encoding="utf-8")
                    self.stderr.write(_("Wrote %(f)s.") % {"f": options["output"]})
                else:
                    self.stdout.write(body, ending="")
            elif action == "lookup":
                text = options["uri_or_serial"]
                result = (
                    services.lookup_uri(text) if "://" in text else services.lookup_serial(text)
                )
                self.stdout.write(f"{result.status} {result.problem}".strip())
            else:
                key_id = signing.rotate()
                self.stdout.write(
                    _("New active stamp key %(id)s in %(f)s; earlier stamps stay valid.")
                    % {"id": key_id, "f": signing.keyring_path()}
                )
        except ValidationError as exc:
            raise CommandError(_problem(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("Your role may not do this.")) from exc
        except issuers.LotNotStampable as exc:
            raise CommandError(exc.message) from exc
        except Http404 as exc:
            raise CommandError(_("Not found, or not yours.")) from exc
        except signing.KeyringError as exc:
            raise CommandError(str(exc)) from exc
