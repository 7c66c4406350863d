from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write the whole database to FILE: pg_dump (custom format) on PostgreSQL, the online "
        "backup API on SQLite; consistent while the service runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the backup")

    def handle(self, *args, file: str, **options):
        try:
            path = backup(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Backup written to %(path)s.") % {"path": path})
