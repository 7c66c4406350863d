"""agritrace eudr: a lot's EUDR export and the forest baseline layers from the command line,
acting as a person (their scope and role apply, as on the pages).

agritrace eudr export LOT --as USER --out FILE [--hs-code CODE] [--strict]
    FILE ending in .pdf: the PDF summary; else the EU Information System's GeoJSON
agritrace eudr lots --as USER                    (the shipped lots one may export)
agritrace eudr baseline-import FILE --as USER --name N --source S --date YYYY-MM-DD
agritrace eudr baselines --as USER
"""

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.apiutil import error_dict
from agritrace.eudr import access, audit, baseline, export, pdf
from agritrace.eudr.models import ForestBaseline
from agritrace.registry.management.commands.areas import actor_for


class Command(BaseCommand):
    help = "The EUDR export of a lot (GeoJSON or PDF) and the forest baseline layers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="step", required=True, metavar="STEP")
        p = sub.add_parser("export", help="write a lot's EUDR GeoJSON or PDF summary")
        p.add_argument("lot", help="the lot's identifier (URN or Digital Link)")
        p.add_argument("--as", dest="username", required=True, help="user acting")
        p.add_argument("--out", required=True, help="FILE: .pdf for the PDF, else GeoJSON")
        p.add_argument("--hs-code", default="", help="an HS code under the Annex I heading")
        p.add_argument("--strict", action="store_true", help="only the EU's properties")
        p = sub.add_parser("lots", help="the shipped lots one may export")
        p.add_argument("--as", dest="username", required=True, help="user acting")
        p = sub.add_parser("baseline-import", help="import a forest baseline layer (GeoJSON)")
        p.add_argument("file")
        p.add_argument("--as", dest="username", required=True, help="user acting")
        p.add_argument("--name", required=True)
        p.add_argument("--source", required=True)
        p.add_argument("--date", required=True, help="the layer's date, YYYY-MM-DD")
        p = sub.add_parser("baselines", help="the forest baseline layers one may see")
        p.add_argument("--as", dest="username", required=True, help="user acting")

    def handle(self, *args, **options):
        who = actor_for(options["username"])
        try:
            getattr(self, "_" + options["step"].replace("-", "_"))(who, options)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except Http404:
            raise CommandError(_("No such lot, or not one you may export.")) from None
        except ValidationError as exc:
            lines = [f"{f}: {m}" for f, ms in error_dict(exc).items() for m in ms]
            raise CommandError("\n".join(lines)) from None

    def _export(self, who, options):
        s = export.statement(who, options["lot"], options["hs_code"] or None)
        out = Path(options["out"])
        if out.suffix.lower() == ".pdf":
            body, fmt = pdf.statement_pdf(s), "pdf"
        else:
            body, fmt = s.geojson_text(options["strict"]).encode(), "geojson"
        out.write_bytes(body)
        audit.exported(who, s, fmt, body)
        flags = len(s.flagged)
        self.stdout.write(
            _("%(file)s: %(n)s plots (%(p)s points), %(f)s overlapping a forest layer.")
            % {
                "file": out,
                "n": len(s.plots),
                "p": sum(1 for p in s.plots if p.kind == "Point"),
                "f": flags,
            }
        )

    def _lots(self, who, options):
        for lot in access.shipped_lots(who)[:1000]:
            self.stdout.write(f"{lot.uri}\t{lot.crop.code if lot.crop_id else ''}")

    def _baseline_import(self, who, options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(_("--date: expected a date such as 2020-12-31.")) from None
        text = Path(options["file"]).read_text(encoding="utf-8")
        layer = baseline.import_layer(
            who, baseline.LayerIn(options["name"], options["source"], day, text)
        )
        self.stdout.write(
            _("Imported “%(name)s” (#%(id)s): %(n)s polygons.")
            % {"name": layer.name, "id": layer.pk, "n": layer.feature_count}
        )

    def _baselines(self, who, options):
        layers = access.baselines_in_scope(who, ForestBaseline.objects.select_related("province"))
        for layer in layers[:1000]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": layer.pk,
                        "name": layer.name,
                        "province": layer.province.name,
                        "date": layer.source_date.isoformat(),
                        "area_ha": round(layer.area_ha, 2),
                        "source": layer.source,
                    },
                    ensure_ascii=False,
                )
            )
