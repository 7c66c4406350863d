"""agritrace trace import FILE --as USER | capture FILE --as USER | template FILE | kde --as
USER (--lot URI | --from DATE --to DATE) | jobs --as USER [--status S] [--since DATE] [--id N]:
harvests, packings and shipments from a spreadsheet (all or nothing), an EPCIS 2.0 JSON
document captured as `POST /epcis/capture` captures it (every event or none), the import
template, the FSMA 204 key data elements, and the capture jobs in scope (refused ones with
their errors and refused events)."""

import sys
from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.registry.management.commands.areas import actor_for
from agritrace.trace import export, imports, refusals, services


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("The date must look like 2026-06-30.")) from None


class Command(BaseCommand):
    help = (
        "Traceability: import harvests, packings and shipments from a spreadsheet (XLSX or "
        "CSV, all or nothing), write the import template, export FSMA 204 key data elements."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="import|capture|template|kde|jobs"
        )
        imp = sub.add_parser("import", help="Read events from a workbook or a CSV file")
        imp.add_argument("file", help="XLSX with sheets harvests/packings/shipments, or a CSV")
        imp.add_argument("--as", dest="username", required=True, help="Act as this user")
        imp.add_argument(
            "--kind",
            choices=["harvests", "packings", "shipments"],
            default="",
            help="What a CSV file holds (default: guessed from its columns)",
        )
        cap = sub.add_parser("capture", help="Capture an EPCIS 2.0 JSON document (all or none)")
        cap.add_argument("file", help="An EPCISDocument (JSON or JSON-LD)")
        cap.add_argument("--as", dest="username", required=True, help="Act as this user")
        cap.add_argument(
            "--background",
            action="store_true",
            help="Queue it as a background capture job (a Celery worker, or this process's "
            "thread) and print the job's id; `trace jobs --id N` shows its progress",
        )
        tpl = sub.add_parser("template", help="Write the import template (.xlsx)")
        tpl.add_argument("file")
        kde = sub.add_parser("kde", help="FSMA 204 key data elements of a lot or a time range")
        kde.add_argument("--as", dest="username", required=True, help="Act as this user")
        kde.add_argument("--lot", help="A lot identifier: its chain, backward and forward")
        kde.add_argument("--from", dest="start", help="First day (YYYY-MM-DD)")
        kde.add_argument("--to", dest="end", help="Last day (YYYY-MM-DD)")
        kde.add_argument("--format", choices=["xlsx", "csv"], default="csv")
        kde.add_argument("--output", "-o", help="File to write (default: standard output)")

        jobs = sub.add_parser("jobs", help="Capture jobs in scope, refused ones included")
        jobs.add_argument("--as", dest="username", required=True, help="Act as this user")
        jobs.add_argument("--status", default="", help="running, succeeded or failed")
        jobs.add_argument("--since", default="", help="From this date (YYYY-MM-DD) on")
        jobs.add_argument("--id", dest="job_id", default="", help="One job, with its errors")

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(options)

    def _template(self, options):
        data = imports.template_xlsx()
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
            result = imports.import_file(actor, content, path.name, kind=options["kind"])
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except imports.ImportRejected as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(
                _("Nothing was imported: %(n)d problem(s).") % {"n": len(exc.lines)}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(n)s events (%(d)s already recorded), capture %(c)s.")
                % {"n": result.stored, "d": result.duplicates, "c": result.capture_id}
            )
        )

    def _capture(self, options):
        actor = actor_for(options["username"])
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(f)s: %(e)s") % {"f": path, "e": exc}) from None
        if options.get("background"):
            from agritrace.trace import capture_jobs

            try:
                job = capture_jobs.submit(actor, content)
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                _("Capture job %(c)s queued (%(n)s bytes).")
                % {"c": job.capture_id, "n": len(content)}
            )
            return
        try:
            job = services.capture(actor, content)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except services.CaptureRejected as exc:
            problems = [f"{where}: {m}" for where, ms in exc.message_dict.items() for m in ms]
            for line in problems:
                self.stderr.write(line)
            raise CommandError(
                _("Nothing was captured: %(n)d problem(s).") % {"n": len(problems)}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Captured %(n)s events (%(d)s already recorded), capture %(c)s.")
                % {"n": job.stored_count, "d": job.duplicate_count, "c": job.capture_id}
            )
        )

    def _kde(self, options):
        actor = actor_for(options["username"])
        if options.get("lot"):
            try:
                rows = export.lot_rows(actor, options["lot"])
            except Http404:
                raise CommandError(_("No such lot in your scope.")) from None
        elif options.get("start") and options.get("end"):
            events = export.range_events(actor, _day(options["start"]), _day(options["end"]))
            rows = export.rows_for(events)
        else:
            raise CommandError(_("Give --lot, or --from and --to."))
        if options.get("output"):
            with open(options["output"], "wb") as out:
                size = export.write(rows, options["format"], out)
            self.stdout.write(
                _("Wrote %(n)d bytes to %(f)s.") % {"n": size, "f": options["output"]}
            )
        elif options["format"] == "csv":
            for piece in export.stream_csv(rows):
                sys.stdout.write(piece.decode("utf-8").lstrip("\ufeff"))
        else:
            raise CommandError(_("An XLSX file needs --output."))

    def _jobs(self, options):
        from django.core.exceptions import ValidationError

        actor = actor_for(options["username"])
        try:
            if options["job_id"]:
                job = refusals.job_detail(refusals.capture_job(actor, options["job_id"]))
                self.stdout.write(_line(job))
                for path, messages in job["errorsByPath"].items():
                    for message in messages:
                        self.stdout.write(f"  {path}: {message}")
                for row in job["refusals"]:
                    self.stdout.write(
                        f"  refused event {row['eventIndex']}: {row['rule']} "
                        f"{row['area'] or row['packingHouse'] or ''} {row['eventTime'] or ''}"
                    )
                return
            since = refusals.parse_since(options["since"])
            found = refusals.capture_jobs(actor, options["status"], since)[:500]
        except (PermissionDenied, Http404) as exc:
            raise CommandError(str(exc) or _("No such capture job in your scope.")) from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        for job in found:
            self.stdout.write(_line(refusals.job_summary(job)))


def _line(job: dict) -> str:
    return (
        f"{job['captureID']}\t{job['status']}\t{job['createdAt']}\t"
        f"{job['organisation'] or '-'}\t{job['eventCount']} events\t{job['storedCount']} stored"
        f"\t{job['errorCount']} errors\t{job['sha256'] or '-'}"
    )
