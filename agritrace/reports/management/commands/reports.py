"""agritrace reports: the province's targets, achieved figures, training and periodic reports
from the command line, acting as a person (their scope and role apply, as on the pages).

agritrace reports targets --as USER [--year Y]
agritrace reports target --as USER --metric M --year Y --value V --source TEXT
    [--unit NAME] [--crop CODE|GROUP] [--kind target|baseline] [--cumulative]
agritrace reports import FILE --as USER [--apply]          (a dry run unless --apply)
agritrace reports template FILE
agritrace reports achieved --as USER [--year Y] [--codes]
agritrace reports training --as USER [--year Y]
agritrace reports plan-class --as USER --topic T --title T --place P --date D --trainer T
agritrace reports held CLASS --as USER --date D [--households IDS] [--cooperatives IDS]
    [--outsiders N]
agritrace reports generate half_year|annual --as USER --year Y [--start D] [--end D]
    [--output DIR]
agritrace reports submit REPORT --as USER
agritrace reports list --as USER
agritrace reports remind [--today D]      (the scheduler runs it daily)
"""

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.registry.management.commands.areas import actor_for
from agritrace.reports import achieved, deadlines, periodic, targets, training
from agritrace.reports.models import ReportKind


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        message = _("Expected a date such as 2026-03-15, not “%(v)s”.") % {"v": text}
        raise CommandError(message) from None


def _ids(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise CommandError(_("Expected numbers separated by commas: %(v)s") % {"v": text}) from None


class Command(BaseCommand):
    help = "Targets, achieved figures, training and the half-year and annual reports."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="step", required=True, metavar="STEP")

        def with_user(name: str, text: str):
            p = sub.add_parser(name, help=text)
            p.add_argument("--as", dest="username", required=True, help="user acting")
            return p

        p = with_user("targets", "list the targets")
        p.add_argument("--year", type=int)
        p = with_user("target", "set a target")
        p.add_argument("--metric", required=True)
        p.add_argument("--year", required=True, type=int)
        p.add_argument("--value", required=True)
        p.add_argument("--source", required=True)
        p.add_argument("--source-date", dest="source_date")
        p.add_argument("--unit", default="")
        p.add_argument("--crop", default="")
        p.add_argument("--kind", default="target")
        p.add_argument("--cumulative", action="store_true")
        p = with_user("import", "import targets from a workbook")
        p.add_argument("file")
        p.add_argument("--apply", action="store_true")
        p = sub.add_parser("template", help="write the targets template (XLSX)")
        p.add_argument("file")
        p = with_user("achieved", "achieved against each target")
        p.add_argument("--year", type=int)
        p.add_argument("--codes", action="store_true", help="list the records behind each")
        p = with_user("training", "the year's classes and the plan against target")
        p.add_argument("--year", type=int, default=dt.date.today().year)
        p = with_user("plan-class", "plan a training class")
        for name in ("topic", "title", "place", "trainer"):
            p.add_argument(f"--{name}", required=True)
        p.add_argument("--date", required=True)
        p.add_argument("--crop", default="")
        p.add_argument("--materials", default="")
        p = with_user("held", "record a class as held, with its attendees")
        p.add_argument("cls", type=int)
        p.add_argument("--date", required=True)
        p.add_argument("--households", default="")
        p.add_argument("--cooperatives", default="")
        p.add_argument("--outsiders", type=int, default=0)
        p = with_user("generate", "generate a new version of a report")
        p.add_argument("kind", choices=ReportKind.values)
        p.add_argument("--year", required=True, type=int)
        p.add_argument("--start")
        p.add_argument("--end")
        p.add_argument("--output", help="a directory to write the XLSX and PDF to")
        p = with_user("submit", "submit a generated version (frozen from then on)")
        p.add_argument("report", type=int)
        with_user("list", "the reports one sees")
        p = sub.add_parser("remind", help="remind the inboxes of reports due soon")
        p.add_argument("--today")

    def handle(self, *args, step: str, **options):
        try:
            getattr(self, "_" + step.replace("-", "_"))(options)
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("You may not do this.")) from exc
        except Http404 as exc:
            raise CommandError(_("Not found in your scope.")) from exc
        except ValidationError as exc:
            errors = getattr(exc, "message_dict", {"": exc.messages})
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" if k else " ".join(v) for k, v in errors.items())
            ) from exc

    def _actor(self, options):
        return actor_for(options["username"])

    def _targets(self, o):
        for t in targets.targets(self._actor(o), o["year"]):
            where = t.unit.name if t.unit_id else t.province.name
            crop = t.crop.code if t.crop_id else t.crop_group or "*"
            self.stdout.write(
                f"#{t.pk} {t.year} {where} {crop} {t.metric} {t.kind}: {t.value} ({t.source})"
            )

    def _target(self, o):
        t = targets.set_target(
            self._actor(o),
            targets.TargetData(
                metric=o["metric"],
                year=o["year"],
                value=o["value"],
                unit=o["unit"],
                crop=o["crop"],
                kind=o["kind"],
                cumulative=o["cumulative"],
                source=o["source"],
                source_date=_day(o["source_date"]),
            ),
        )
        self.stdout.write(f"#{t.pk} {t}")

    def _import(self, o):
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(_("No file %(f)s.") % {"f": path})
        report = targets.import_targets(self._actor(o), path.read_bytes(), path.name, o["apply"])
        report.raise_if_problems()
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, default=str))

    def _template(self, o):
        Path(o["file"]).write_bytes(targets.template())
        self.stdout.write(o["file"])

    def _achieved(self, o):
        actor = self._actor(o)
        for f in achieved.figures(targets.targets(actor, o["year"]), with_codes=o["codes"]):
            percent = "—" if f.percent is None else f"{f.percent:.1f} %"
            self.stdout.write(
                f"#{f.target.pk} {f.target.year} {f.unit_name} {f.crop_name or '*'} "
                f"{f.target.metric}: {f.achieved} / {f.target.value} ({percent})"
            )
            for c in f.codes:
                self.stdout.write(f"    {c['kind']} {c['code'] or c['id']} {c['name']}")

    def _training(self, o):
        actor = self._actor(o)
        for c in training.classes(actor, o["year"]):
            held = c.held_on.isoformat() if c.held_on else "—"
            self.stdout.write(f"#{c.pk} {c.planned_on} {c.topic} {c.title}: held {held}")
        self.stdout.write(json.dumps(training.plan_against_target(actor, o["year"])))

    def _plan_class(self, o):
        c = training.plan_class(
            self._actor(o),
            training.ClassData(
                topic=o["topic"],
                title=o["title"],
                place=o["place"],
                planned_on=_day(o["date"]),
                trainer=o["trainer"],
                crop=o["crop"],
                materials=o["materials"],
            ),
        )
        self.stdout.write(f"#{c.pk} {c}")

    def _held(self, o):
        c = training.record_held(
            self._actor(o),
            o["cls"],
            training.Attendance(
                held_on=_day(o["date"]),
                households=_ids(o["households"]),
                organisations=_ids(o["cooperatives"]),
                outsiders=o["outsiders"],
            ),
        )
        self.stdout.write(f"#{c.pk} {c}: {training.attendees(c)}")

    def _generate(self, o):
        r = periodic.generate(
            self._actor(o), o["kind"], o["year"], _day(o["start"]), _day(o["end"])
        )
        self.stdout.write(f"#{r.pk} {r.kind} {r.year} v{r.version} {r.period_start}–{r.period_end}")
        if o["output"]:
            out = Path(o["output"])
            out.mkdir(parents=True, exist_ok=True)
            for fmt in ("xlsx", "pdf"):
                path = out / f"bao-cao-{r.kind}-{r.year}-v{r.version}.{fmt}"
                path.write_bytes(bytes(getattr(r, fmt)))
                self.stdout.write(str(path))

    def _submit(self, o):
        r = periodic.submit(self._actor(o), o["report"])
        self.stdout.write(f"#{r.pk} {r.kind} {r.year} v{r.version}: {r.status}")

    def _list(self, o):
        for r in periodic.reports(self._actor(o)):
            self.stdout.write(
                f"#{r.pk} {r.province.name} {r.kind} {r.year} v{r.version}: {r.status}"
            )

    def _remind(self, o):
        sent = deadlines.remind(_day(o["today"]))
        for line in sent:
            self.stdout.write(line)
        self.stdout.write(_("%(n)d reminder(s) sent.") % {"n": len(sent)})
