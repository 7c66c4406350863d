"""Who am I, and the machine tokens of my organisation."""

from datetime import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth
from pydantic import StringConstraints

from agritrace.apiutil import actor as _actor

from . import preferences
from .access import Actor
from .models import ApiToken
from .names import full_name

router = Router(tags=["accounts"])


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str

    @staticmethod
    def resolve_name(obj) -> str:
        return full_name(obj)


class UnitOut(Schema):
    id: int
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    unit: UnitOut


class MeOut(Schema):
    user: UserOut
    organisation: OrganisationOut | None
    role: str | None
    kind: str | None
    language: str = Field(
        ..., description="The language of your pages: the one you saved, else the site's default"
    )
    language_saved: bool = Field(..., description="Whether you saved a language yourself")


class MeIn(Schema):
    language: str = Field(..., description="The language of your pages (vi, en)")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="The token's first characters, to recognise it")
    user: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_user(obj) -> str:
        return obj.user.get_username()


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The token itself: shown this once, never again")


class TokenIn(Schema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _me(request: HttpRequest) -> dict:
    actor = _actor(request)
    return {
        "user": request.user,
        "organisation": actor.organisation,
        "role": actor.role,
        "kind": actor.kind,
        "language": preferences.language_of(request.user),
        "language_saved": bool(preferences.saved_language(request.user)),
    }


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    return _me(request)


@router.patch("/me", response=MeOut)
def update_me(request: HttpRequest, payload: MeIn):
    """Save your preferences: the language your pages are shown in after logging in."""
    preferences.set_language(request.user, payload.language)
    return _me(request)


def _member(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if actor.organisation is None:
        raise PermissionDenied(_("You are not a member of an organisation."))
    return actor


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request: HttpRequest):
    """Your organisation's tokens (never the tokens themselves)."""
    actor = _member(request)
    return ApiToken.objects.filter(organisation=actor.organisation).select_related("user")


# A token can be made with a login session only: a leaked token must not be able to mint
# new ones that would outlive its own revocation.
@router.post("/tokens", response={201: TokenCreatedOut}, auth=django_auth)
def create_token(request: HttpRequest, payload: TokenIn):
    """A new token acting for you; the response shows it once."""
    _member(request)
    token, raw = ApiToken.issue(request.user, payload.name)
    token.token = raw
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenOut)
def revoke_token(request: HttpRequest, token_id: int):
    actor = _member(request)
    token = get_object_or_404(
        ApiToken.objects.select_related("user"), pk=token_id, organisation=actor.organisation
    )
    token.revoke()
    return token


def _add_organisation_routes() -> None:
    from .api_organisations import add_routes

    add_routes(router)


_add_organisation_routes()
