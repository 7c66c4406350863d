from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.audit.services import verify


class Command(BaseCommand):
    help = "Audit log tools. verify: check that no entry was edited, deleted or reordered."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="verify")
        sub.add_parser("verify", help="Walk the hash chain and report every break")

    def handle(self, *args, action: str, **options):
        result = verify()
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(_("%(n)d audit entries checked: OK.") % {"n": result.checked})
            )
            if result.legacy:
                self.stdout.write(
                    _(
                        "%(n)d of them in hash format 1, written before the hash covered "
                        "the actor's id and the object's label."
                    )
                    % {"n": result.legacy}
                )
            return
        for problem in result.problems:
            self.stderr.write(problem)
        raise CommandError(
            _("%(n)d audit entries checked: %(p)d problem(s). The log was tampered with.")
            % {"n": result.checked, "p": len(result.problems)}
        )
