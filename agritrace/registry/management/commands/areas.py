import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.registry.transfer import FORMATS, ImportFailed, export, import_plots


def actor_for(username: str) -> Actor:
    """The person a command acts as: their organisation's scope and role apply."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user “%(u)s”.") % {"u": username})
    actor = Actor.of(user)
    if actor.organisation is None:
        raise CommandError(_("User “%(u)s” belongs to no organisation.") % {"u": username})
    return actor


class Command(BaseCommand):
    help = "Export planting areas' plots (GeoJSON, CSV, XLSX) or import them from GeoJSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="export|import|members")
        out = sub.add_parser("export", help="Write the plots with their areas and households")
        out.add_argument("--format", choices=FORMATS, default="geojson")
        out.add_argument("--output", "-o", help="File to write (default: standard output)")
        out.add_argument(
            "--as",
            dest="username",
            help="Export what this user may see (default: everything, without restriction)",
        )
        imp = sub.add_parser("import", help="Read plots from a GeoJSON FeatureCollection")
        imp.add_argument("file", help="GeoJSON file (- for standard input)")
        imp.add_argument(
            "--as", dest="username", required=True, help="User the import acts as (required)"
        )

        mem = sub.add_parser("members", help="Show or set an area's member households")
        mem.add_argument("area", help="Area id or code")
        mem.add_argument("--as", dest="username", required=True, help="User acting (required)")
        mem.add_argument(
            "--set", dest="households", help="The whole new list of household ids, e.g. 3,7"
        )
        mem.add_argument(
            "--confirm",
            action="store_true",
            help="Households leave an issued area: save the change for the authority's review",
        )

    def handle(self, *args, action: str, **options):
        if action == "export":
            self.export(options["format"], options["output"], options["username"])
        elif action == "members":
            self.members(options)
        else:
            self.import_(options["file"], options["username"])

    def members(self, options) -> None:
        from django.core.exceptions import ValidationError
        from django.db.models import Q
        from django.http import Http404

        from agritrace.accounts.access import get_visible
        from agritrace.registry import services
        from agritrace.registry.models import PlantingArea

        actor = actor_for(options["username"])
        key = options["area"]
        lookup = Q(code=key) | (Q(pk=int(key)) if key.isdigit() else Q())
        try:
            area = get_visible(actor, PlantingArea.objects.filter(lookup))
        except (Http404, PlantingArea.MultipleObjectsReturned):
            raise CommandError(_("No planting area %(a)s in your scope.") % {"a": key}) from None
        if options.get("households") is not None:
            text = options["households"].replace(" ", "")
            if not all(p.isdigit() for p in text.split(",") if p):
                raise CommandError(_("--set takes household ids separated by commas."))
            ids = [int(p) for p in text.split(",") if p]
            try:
                change = services.set_area_households(actor, area, ids, confirm=options["confirm"])
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
            except ValidationError as exc:
                lines = [f"{f}: {m}" for f, ms in exc.message_dict.items() for m in ms]
                if "confirm" in exc.message_dict:
                    lines.append(_("Run again with --confirm to save it."))
                raise CommandError("\n".join(lines)) from None
            if change is not None and change.kind == "change":
                self.stdout.write(
                    _("The change goes to the authority for review: change application %(id)s.")
                    % {"id": change.pk}
                )
        for household in area.households.order_by("name", "pk"):
            self.stdout.write(f"{household.pk}\t{household.name}")

    def export(self, fmt: str, output: str | None, username: str | None) -> None:
        actor = actor_for(username) if username else None
        data = export(actor, fmt)
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(_("Wrote %(n)d bytes to %(f)s.") % {"n": len(data), "f": output})
        elif fmt == "xlsx":
            raise CommandError(_("An XLSX file is binary: give --output FILE."))
        else:
            self.stdout.write(data.decode("utf-8-sig"), ending="")

    def import_(self, file: str, username: str) -> None:
        actor = actor_for(username)
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(f)s: %(e)s") % {"f": file, "e": exc}) from None
        try:
            result = import_plots(actor, data)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("Nothing was imported: %(n)d problem(s).") % {"n": len(exc.problems)}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported: %(ac)d areas, %(hc)d households and %(pc)d plots created, "
                    "%(pu)d plots changed, %(pn)d unchanged."
                )
                % {
                    "ac": result.areas_created,
                    "hc": result.households_created,
                    "pc": result.plots_created,
                    "pu": result.plots_updated,
                    "pn": result.plots_unchanged,
                }
            )
        )
