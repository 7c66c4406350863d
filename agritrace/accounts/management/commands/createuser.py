import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.accounts.models import Membership, Organisation, Role


class Command(BaseCommand):
    help = "Add a person to an organisation with a role; --list-organisations shows the ids."

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--password", help="Asked for when left out")
        parser.add_argument("--email", default="")
        parser.add_argument("--organisation-id", type=int)
        parser.add_argument("--role", choices=Role.values, default=Role.OFFICER)
        parser.add_argument(
            "--list-organisations", action="store_true", help="List organisations and exit"
        )

    def handle(self, *args, **options):
        if options["list_organisations"]:
            for org in Organisation.objects.select_related("unit").order_by("kind", "name"):
                self.stdout.write(
                    f"{org.pk:>5}  {org.get_kind_display()}  {org.name}  ({org.unit.name})"
                )
            return
        username = (options["username"] or "").strip()
        if not username or not options["organisation_id"]:
            raise CommandError(_("Give --username and --organisation-id."))
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(_("The user name “%(u)s” is taken.") % {"u": username})
        org = Organisation.objects.filter(pk=options["organisation_id"]).first()
        if org is None:
            raise CommandError(
                _("No organisation %(id)s (see --list-organisations).")
                % {"id": options["organisation_id"]}
            )
        password = options["password"]
        if password is None:
            password = getpass.getpass(_("Password: "))
        user = User(username=username, email=options["email"])
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, organisation=org, role=options["role"])
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(u)s: %(role)s of %(org)s.")
                % {"u": username, "role": Role(options["role"]).label, "org": org.name}
            )
        )
