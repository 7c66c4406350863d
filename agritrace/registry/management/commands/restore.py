from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.audit.services import verify
from agritrace.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database by a backup made with `agritrace backup` (all or nothing), then "
        "verify the audit chain. Refuses a database in use unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup made by `agritrace backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that holds people, organisations or audit entries",
        )

    def handle(self, *args, file: str, force: bool, **options):
        try:
            restore(file, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        result = verify()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("Restored, but the audit chain does not verify: %(n)d problem(s).")
                % {"n": len(result.problems)}
            )
        self.stdout.write(
            _("Restored from %(path)s; %(n)d audit entries checked: OK.")
            % {"path": file, "n": result.checked}
        )
