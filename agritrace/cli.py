"""The `agritrace` command: AgriTrace's own commands and every Django management command,
with the settings already chosen (agritrace.settings, configured from the environment)."""

from __future__ import annotations

import os
import sys

HELP_FLAGS = {"-h", "--help", "help"}


def _commands() -> list[tuple[str, str]]:
    from django.utils.translation import gettext as _

    return [
        ("migrate", _("create or update the database tables")),
        ("demo [--reset]", _("fill an empty database with a demo province and its logins")),
        ("createorganisation", _("add an authority, commune, cooperative, ... (--kind)")),
        (
            "createuser",
            _("add a person to an organisation with a role (--list-organisations)"),
        ),
        (
            "organisations list|show|import|template|invite",
            _("organisations: list, read, XLSX import (dry run unless --apply), invite people"),
        ),
        ("areas export", _("write the plots as GeoJSON, CSV or XLSX (--format, --output)")),
        ("areas import FILE --as USER", _("read plots from GeoJSON, all or nothing")),
        (
            "areas members AREA --as USER [--set IDS]",
            _("an area's member households; --set changes them (--confirm for an issued code)"),
        ),
        (
            "authorisations import FILE --as USER [--apply]",
            _("read paper authorisations (XLSX/CSV); a dry run unless --apply"),
        ),
        (
            "codes import FILE --as USER [--apply]",
            _("codes issued before AgriTrace with their history (XLSX/CSV; dry run first)"),
        ),
        ("codes template FILE", _("write the template of the existing-codes import (XLSX)")),
        (
            "abbreviations list|set",
            _("province abbreviations in codes, with their source (set: --as USER)"),
        ),
        (
            "codes suspend|reinstate|revoke CODE --as USER",
            _("a move of an issued code (--reason, --effective-date to back-date it)"),
        ),
        ("audit verify", _("check that no audit entry was edited or deleted")),
        ("backup FILE", _("write the whole database to FILE (pg_dump, or SQLite's backup API)")),
        (
            "partitions maintain|list",
            _("PostgreSQL: make the monthly partitions ahead (run daily; idempotent)"),
        ),
        (
            "restore FILE [--force]",
            _("replace the database by a backup, then verify the audit chain"),
        ),
        (
            "calendars import FILE --as USER [--apply]",
            _("read harvest season calendars (XLSX/CSV); a dry run unless --apply"),
        ),
        ("inputs import FILE", _("read the input catalogue from a workbook, all or nothing")),
        ("inputs export FILE", _("write the input catalogue to a workbook")),
        ("tokens create|list|revoke", _("API tokens: a new one is shown once")),
        ("language --as USER [vi|en]", _("a person's saved language: show it or save it")),
        (
            "trace import FILE --as USER",
            _("read harvests, packings and shipments from XLSX or CSV, all or nothing"),
        ),
        (
            "trace capture FILE --as USER [--background]",
            _("capture an EPCIS 2.0 JSON document, every event or none"),
        ),
        ("trace template FILE", _("write the traceability import template (XLSX)")),
        ("trace kde --as USER", _("FSMA 204 key data elements of a lot or a time range")),
        (
            "trace jobs --as USER",
            _("capture jobs in scope, refused ones with their errors (--status, --since, --id)"),
        ),
        (
            "recall start|list|status",
            _("recall the lots reached from a failed sample or a notice; a lot's status"),
        ),
        (
            "stamps request|void|export|lookup|rotate-key",
            _("traceability stamps for a packed lot; rotate the stamps' signing key"),
        ),
        (
            "misuse scan|cases|origins",
            _("misuse detection over a province's season (--province --season); the cases"),
        ),
        (
            "misuse_case review|dismiss|confirm|act|note|rule",
            _("the officer's steps on a misuse case (--as USER); a rule's thresholds"),
        ),
        (
            "serve [--host --port --workers]",
            _("run the web service (gunicorn, one worker per core with Redis; or waitress)"),
        ),
        (
            "reports targets|target|import|achieved|training|generate|submit|remind",
            _("the plan's targets, achieved figures, training and half-year/annual reports"),
        ),
        (
            "eudr export LOT --as USER --out FILE",
            _("a lot's EUDR geolocation (GeoJSON) or PDF summary; forest baseline layers"),
        ),
        (
            "exchange deliver [--once]|connectors|dead|resend",
            _("send the outbox to the national systems; connectors, dead letters, re-send"),
        ),
        (
            "worker [--concurrency N]",
            _("run a Celery worker for background work such as large captures (needs a broker)"),
        ),
        ("up", _("migrate, add the demo if the database is empty, and serve")),
    ]


def usage() -> str:
    from django.utils.translation import gettext as _

    width = max(len(name) for name, _text in _commands()) + 2
    lines = [
        _("AgriTrace: planting-area and packing-house codes."),
        "",
        _("Usage: agritrace COMMAND [options]   (agritrace help COMMAND shows its options)"),
        "",
    ]
    lines += [f"  {name.ljust(width)}{text}" for name, text in _commands()]
    lines += [
        "",
        _("Any Django management command works too, such as agritrace check or agritrace shell."),
        _("Settings come from the environment: see README.md, “Configuration”."),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (Django's own errors exit through SystemExit)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (len(args) == 1 and args[0] in HELP_FLAGS):
        import django

        django.setup()
        sys.stdout.write(usage())
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(["agritrace", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
