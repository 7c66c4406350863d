"""Inviting people into an organisation: the user is made inactive, without a password, and
gets a link by e-mail to a page where they choose one (then the account is active).

Who invites: the authority that manages the organisation (`organisations.may_manage`) or the
organisation's own manager. The link is Django's password-reset token
(`default_token_generator`): it expires after PASSWORD_RESET_TIMEOUT and stops working once a
password is set. An inactive invitee invited again gets a new link."""

from __future__ import annotations

import logging
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from agritrace.audit.services import record
from agritrace.site import site_url

from .access import Actor
from .models import Membership, Organisation, Role
from .organisations import may_manage

log = logging.getLogger(__name__)
_USERNAME = re.compile(r"^[\w.@+-]{1,150}$")


def may_invite(actor: Actor, org: Organisation) -> bool:
    if may_manage(actor, org):
        return True
    own = actor.organisation is not None and actor.organisation.pk == org.pk
    return own and actor.role == Role.MANAGER


def invite(
    actor: Actor,
    org: Organisation,
    email: str,
    role: str = Role.STAFF,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
):
    """Invite a person by e-mail into `org` with `role`; returns the (inactive) user and
    whether it was already invited (a new link is sent). Audited; the mail leaves on commit."""
    if not may_invite(actor, org):
        raise PermissionDenied(
            _("Only the organisation's manager or its authority may invite people.")
        )
    User = get_user_model()
    email = (email or "").strip()
    username = (username or "").strip()
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Not an e-mail address.")
    if role not in Role.values:
        errors["role"] = _("One of: %(roles)s.") % {"roles": ", ".join(Role.values)}
    if username and not _USERNAME.match(username):
        errors["username"] = _("Letters, digits and @ . + - _ only.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).select_related("membership").first()
        if existing is not None:
            membership = getattr(existing, "membership", None)
            pending = (
                not existing.is_active
                and not existing.has_usable_password()
                and membership is not None
                and membership.organisation_id == org.pk
            )
            if not pending:
                raise ValidationError(
                    {"email": _("Someone already has an account with this address.")}
                )
            user, resent = existing, True
        else:
            if username and User.objects.filter(username=username).exists():
                raise ValidationError({"username": _("This user name is taken.")})
            user = User(
                username=username or _free_username(email),
                email=email,
                first_name=first_name.strip()[:150],
                last_name=last_name.strip()[:150],
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
            Membership.objects.create(user=user, organisation=org, role=role)
            resent = False
        record(
            actor.user,
            "user.invite.resend" if resent else "user.invite",
            user,
            None,
            {
                "username": user.username,
                "email": user.email,
                "organisation": org.identifier,
                "role": user.membership.role,
            },
        )
        link = site_url() + accept_path(user)
        subject = _("Your AgriTrace account for %(org)s") % {"org": org.name}
        body = _(
            "You have been invited to AgriTrace as %(role)s of %(org)s (user name %(username)s)."
            "\n\nChoose your password here:\n%(link)s\n\nThe link works once, for a few days."
        ) % {
            "role": Role(user.membership.role).label,
            "org": org.name,
            "username": user.username,
            "link": link,
        }

        def send() -> None:
            try:
                send_mail(subject, body, None, [user.email], fail_silently=False)
            except Exception:  # the invitation stays; it can be sent again
                log.exception("could not send the invitation e-mail")

        transaction.on_commit(send)
    return user, resent


def _free_username(email: str) -> str:
    User = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


def accept_path(user) -> str:
    return reverse(
        "invitation-accept",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )


def invited_user(uidb64: str, token: str):
    """The invitee an invitation link names, if it is still valid (else None)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=False).first()
    if user is None or user.has_usable_password():
        return None
    return user if default_token_generator.check_token(user, token) else None


def accept(user, password: str):
    """The invitee chooses a password: the account becomes active (audited)."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    with transaction.atomic():
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        record(user, "user.accept_invitation", user, None, {"username": user.username})
    return user
