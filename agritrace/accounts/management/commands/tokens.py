from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.accounts.models import ApiToken, Membership


class Command(BaseCommand):
    help = "API tokens: create (the raw token is shown once), list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="create|list|revoke")
        create = sub.add_parser("create", help="Issue a token that acts as a user")
        create.add_argument("--username", required=True)
        create.add_argument("--name", required=True, help="What the token is for")
        listing = sub.add_parser("list", help="List tokens (never the tokens themselves)")
        listing.add_argument("--username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def do_create(self, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user “%(u)s”.") % {"u": username})
        if not Membership.objects.filter(user=user).exists():
            raise CommandError(_("User “%(u)s” belongs to no organisation.") % {"u": username})
        if not name.strip():
            raise CommandError(_("Give the token a name."))
        token, raw = ApiToken.issue(user, name.strip())
        self.stderr.write(
            _("Token %(id)d for %(u)s. It is shown only this once: keep it safe.")
            % {"id": token.pk, "u": username}
        )
        self.stdout.write(raw)

    def do_list(self, username: str | None = None, **options) -> None:
        tokens = ApiToken.objects.select_related("user", "organisation").order_by("pk")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            state = _("revoked") if t.revoked_at else _("active")
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "-"
            self.stdout.write(
                f"{t.pk:>5}  {t.prefix}…  {t.user.username}  {t.name}  {state}  {used}"
            )

    def do_revoke(self, id: int, **options) -> None:
        token = ApiToken.objects.filter(pk=id).first()
        if token is None:
            raise CommandError(_("No token %(id)d.") % {"id": id})
        token.revoke()
        self.stdout.write(_("Token %(id)d revoked.") % {"id": id})
