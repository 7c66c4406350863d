"""Organisations as the API, the pages and the XLSX import see them: listing (through
`access.visible`), finding one by its public identifier, GLN or id, and adding one.

Who may add: the ministry anywhere, a province's department or plant-protection office in its
own province (not a ministry), with a role that may write. An authority is placed on its
province; a commune committee on its commune; the others on their commune (or, for a
laboratory or a firm known only by its province, on the province)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit, Level
from agritrace.places.services import fold, resolve_place

from .access import Actor, can, require, visible
from .identifiers import valid_gln
from .models import AUTHORITY_KINDS, Organisation, OrgKind

#: the fields an organisation is given (besides its kind and place)
CONTACT_FIELDS = ("tax_code", "address", "phone", "email", "gln")
_IDENTIFIER = re.compile(r"^[0-9A-Za-z]{1,10}-[A-Za-z]{2,3}-\d{4,}$")


def organisations(actor: Actor, kind: str = "", q: str = "") -> QuerySet[Organisation]:
    """What the actor may see (the ministry all, a province its province's, a commune its
    commune's, others themselves and the firms they may authorise), by kind and name."""
    qs = visible(actor, Organisation.objects.select_related("unit__parent__parent"))
    if kind:
        qs = qs.filter(kind=kind)
    text = (q or "").strip()
    if text:
        # name with or without diacritics, or identifier, GLN or tax code
        exact = Q(identifier__iexact=text) | Q(gln=text) | Q(tax_code=text)
        ids = [pk for pk, name in qs.values_list("pk", "name") if fold(text) in fold(name)]
        qs = qs.filter(exact | Q(pk__in=ids))
    return qs.order_by("name", "pk")


def find(actor: Actor, key: str) -> Organisation:
    """One visible organisation by its public identifier (`66-EXP-0003`), its GLN (13
    digits) or its database id; Http404 otherwise."""
    key = (key or "").strip()
    qs = visible(actor, Organisation.objects.select_related("unit__parent__parent"))
    if _IDENTIFIER.match(key):
        lookup = Q(identifier=key.upper())
    elif len(key) == 13 and key.isdigit():
        lookup = Q(gln=key)
    elif key.isdigit():
        lookup = Q(pk=int(key))
    else:
        raise Http404
    org = qs.filter(lookup).first()
    if org is None:
        raise Http404
    return org


def may_manage(actor: Actor, org: Organisation | AdminUnit) -> bool:
    """May the actor add organisations on this unit, or manage this organisation (invite its
    people)? The ministry everywhere; a province's authority in its province."""
    if not can(actor, "manage_organisations"):
        return False
    if actor.kind == OrgKind.MINISTRY:
        return True
    unit = org.unit if isinstance(org, Organisation) else org
    return unit.province.pk == actor.province_id


def addable_kinds(actor: Actor) -> list[str]:
    if not can(actor, "manage_organisations"):
        return []
    if actor.kind == OrgKind.MINISTRY:
        return list(OrgKind.values)
    return [k for k in OrgKind.values if k != OrgKind.MINISTRY]


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """The organisation's own fields, checked: a name, a known kind, the place named by
    official code or by name (see places.services.resolve_place), contact details."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the organisation a name.")
    elif len(name) > 200:
        errors["name"] = _("At most 200 characters.")
    kind = str(data.get("kind") or "").strip()
    if kind not in OrgKind.values:
        errors["kind"] = _("One of: %(kinds)s.") % {"kinds": ", ".join(OrgKind.values)}
    cleaned: dict[str, Any] = {"name": name, "kind": kind}
    for field in CONTACT_FIELDS:
        cleaned[field] = str(data.get(field) or "").strip()
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = _("Not an e-mail address.")
    if cleaned["gln"] and not valid_gln(cleaned["gln"]):
        errors["gln"] = _("A GLN has 13 digits with a valid GS1 check digit.")
    if len(cleaned["tax_code"]) > 20:
        errors["tax_code"] = _("At most 20 characters.")
    try:
        unit = data.get("unit") or resolve_place(
            data.get("commune_code"),
            data.get("commune_name"),
            data.get("province_name"),
            allow_province=True,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages[0])
        unit = None
    if unit is None and not any(
        f in errors for f in ("commune_code", "commune_name", "province_name")
    ):
        errors["province_name"] = _("Give the province (and the commune, except for authorities).")
    elif unit is not None and kind in OrgKind.values:
        if kind in AUTHORITY_KINDS and unit.level != Level.PROVINCE:
            errors["commune_code"] = _("An authority is placed on its province, not a commune.")
        elif kind == OrgKind.COMMUNE and unit.level != Level.COMMUNE:
            errors["commune_name"] = _("A commune committee needs its commune.")
    if errors:
        raise ValidationError(errors)
    cleaned["unit"] = unit
    return cleaned


def check_unique(cleaned: dict[str, Any], exclude: int | None = None) -> None:
    others = Organisation.objects.exclude(pk=exclude) if exclude else Organisation.objects.all()
    if cleaned["gln"] and others.filter(gln=cleaned["gln"]).exists():
        raise ValidationError({"gln": _("Another organisation has this GLN.")})
    if (
        cleaned["tax_code"]
        and others.filter(tax_code=cleaned["tax_code"], kind=cleaned["kind"]).exists()
    ):
        raise ValidationError(
            {"tax_code": _("An organisation of this kind already has this tax code.")}
        )
    if others.filter(name=cleaned["name"], kind=cleaned["kind"], unit=cleaned["unit"]).exists():
        raise ValidationError({"name": _("An organisation of this kind and name is there.")})


def create_organisation(actor: Actor, data: dict[str, Any]) -> Organisation:
    """Add an organisation (audited). `data`: name, kind, the place (commune_code, or
    commune_name + province_name, or province_name alone for an authority), and tax_code,
    address, phone, email, gln."""
    require(actor, "manage_organisations")
    cleaned = clean(data)
    if cleaned["kind"] not in addable_kinds(actor):
        raise ValidationError({"kind": _("Only the ministry adds a ministry.")})
    if not may_manage(actor, cleaned["unit"]):
        raise PermissionDenied(_("You may add organisations in your own province only."))
    with transaction.atomic():
        check_unique(cleaned)
        org = Organisation.objects.create(**cleaned)
        record(actor.user, "organisation.create", org, None, snapshot(org))
    return org


def members(actor: Actor, org: Organisation) -> QuerySet | None:
    """The people of an organisation, for its own members and the authority that manages it;
    None for others (they see the organisation, not who works there)."""
    own = actor.organisation is not None and actor.organisation.pk == org.pk
    if not own and not (actor.is_authority and may_manage_read(actor, org)):
        return None
    return org.memberships.select_related("user").order_by("user__username")


def may_manage_read(actor: Actor, org: Organisation) -> bool:
    if actor.kind == OrgKind.MINISTRY:
        return True
    return actor.is_authority and org.unit.province.pk == actor.province_id
