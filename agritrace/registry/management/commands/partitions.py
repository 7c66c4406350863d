from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils.translation import gettext as _

from agritrace import partitions


class Command(BaseCommand):
    help = (
        "Partitioned tables (PostgreSQL): 'maintain' makes the partitions of this month and "
        "the months ahead where missing (idempotent: run it daily); 'list' shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["maintain", "list"])
        parser.add_argument(
            "--ahead",
            type=int,
            default=None,
            help="months after the current one (default AGRITRACE_PARTITION_MONTHS_AHEAD, 3)",
        )

    def handle(self, *args, action: str, ahead: int | None, **options):
        if connection.vendor != "postgresql":
            self.stdout.write(_("SQLite keeps plain tables: nothing to partition."))
            return
        if action == "maintain":
            with transaction.atomic():
                made = partitions.maintain(connection, ahead=ahead)
            if made:
                self.stdout.write(_("Partitions made: %(names)s") % {"names": ", ".join(made)})
            else:
                self.stdout.write(_("Partitions are up to date."))
            return
        with connection.cursor() as cursor:
            for spec in partitions.PARTITIONED:
                if not partitions.is_partitioned(cursor, spec.table):
                    self.stdout.write(_("%(table)s: not partitioned") % {"table": spec.table})
                    continue
                for name, bounds in partitions.partitions(cursor, spec.table):
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [name]
                    )
                    rows = max(0, cursor.fetchone()[0])
                    self.stdout.write(f"{spec.table}\t{name}\t{bounds}\t~{rows}")
