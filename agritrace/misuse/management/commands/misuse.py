"""agritrace misuse: run the misuse rules over a province's season (scan) or list the cases.

agritrace misuse scan --province "Đắk Lắk" --season 2026 [--dry-run] [--json]
agritrace misuse cases [--province NAME] [--season 2026] [--status open] [--json]
agritrace misuse origins [--rebuild]   (the materialised lot origins: refresh or rebuild)
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.misuse.models import Case, CaseStatus
from agritrace.misuse.scan import check_season, find_province, run_scan


class Command(BaseCommand):
    help = "Misuse detection: scan --province NAME --season YEAR [--dry-run]; cases [filters]."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="scan|cases|origins")
        scan = sub.add_parser("scan", help="Run every enabled rule over a province's season")
        scan.add_argument("--province", required=True, help="province name or official code")
        scan.add_argument("--season", required=True, help="harvest year, e.g. 2026")
        scan.add_argument("--dry-run", action="store_true", help="print findings, write nothing")
        scan.add_argument("--json", action="store_true", help="findings as JSON")
        cases = sub.add_parser("cases", help="List the cases, highest score first")
        cases.add_argument("--province", help="province name or official code")
        cases.add_argument("--season", help="harvest year")
        cases.add_argument("--status", choices=[s.value for s in CaseStatus])
        cases.add_argument("--json", action="store_true", help="cases as JSON")
        origins = sub.add_parser(
            "origins", help="Bring the lot origins up to the registry's codes, or rebuild them"
        )
        origins.add_argument(
            "--rebuild", action="store_true", help="recompute every lot's origins from the graph"
        )

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def do_scan(self, province, season, dry_run=False, **options) -> None:
        found, opened, updated = run_scan(province, season, dry_run=dry_run)
        if options.get("json"):
            self.stdout.write(_dumps([f.as_dict() for f in found]))
            return
        for f in found:
            self.stdout.write(
                f"{f.rule:28} {f.code or f.subject_key:20} {f.ratio:7.2f}  {f.summary}"
            )
        if dry_run:
            self.stdout.write(_("%(n)d finding(s); nothing written (dry run).") % {"n": len(found)})
        else:
            self.stdout.write(
                _("%(n)d finding(s): %(o)d case(s) opened, %(u)d updated.")
                % {"n": len(found), "o": opened, "u": updated}
            )

    def do_origins(self, rebuild=False, **options) -> None:
        import time

        from agritrace.misuse.origins import rebuild as rebuild_origins
        from agritrace.misuse.origins import refresh

        started = time.perf_counter()
        if rebuild:
            rows = rebuild_origins()
            self.stdout.write(
                _("Lot origins rebuilt: %(n)d row(s) in %(s).1f s.")
                % {"n": rows, "s": time.perf_counter() - started}
            )
            return
        events, changed, rows = refresh()
        self.stdout.write(
            _(
                "Lot origins refreshed: %(e)d event(s) recorded, %(a)d code(s) changed "
                "(%(n)d row(s) theirs) in %(s).1f s."
            )
            % {"e": events, "a": changed, "n": rows, "s": time.perf_counter() - started}
        )

    def do_cases(self, province=None, season=None, status=None, **options) -> None:
        cases = Case.objects.select_related("rule", "province", "commune", "party")
        if province:
            cases = cases.filter(province=find_province(province))
        if season:
            cases = cases.filter(season=check_season(season))
        if status:
            cases = cases.filter(status=status)
        rows = [
            {
                "id": c.pk,
                "rule": c.rule.code,
                "season": c.season,
                "subject": c.subject_key,
                "code": c.code,
                "status": c.status,
                "severity": c.severity,
                "score": c.score,
                "party": c.party.name if c.party else None,
                "commune": c.commune.name if c.commune else None,
                "times_found": c.times_found,
                "last_found_at": c.last_found_at.isoformat(),
                "summary": c.summary,
            }
            for c in cases.order_by("-score", "pk")
        ]
        if options.get("json"):
            self.stdout.write(_dumps(rows))
            return
        for r in rows:
            self.stdout.write(
                f"#{r['id']:<5} {r['score']:6.1f} {r['status']:12} {r['rule']:28} "
                f"{r['code'] or r['subject']:18} {r['summary']}"
            )
        self.stdout.write(_("%(n)d case(s).") % {"n": len(rows)})


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
