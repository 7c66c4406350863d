from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.accounts import preferences


class Command(BaseCommand):
    help = (
        "A person's saved language (the language of their pages after logging in): "
        "shows it, or saves LANGUAGE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", required=True, metavar="USER")
        parser.add_argument("language", nargs="?", help="vi or en; left out: show the current")

    def handle(self, *args, username: str, language: str | None = None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user “%(u)s”.") % {"u": username})
        if language is not None:
            try:
                preferences.set_language(user, language)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        saved = preferences.saved_language(user)
        self.stdout.write(
            preferences.language_of(user) + ("" if saved else " " + _("(the site's default)"))
        )
