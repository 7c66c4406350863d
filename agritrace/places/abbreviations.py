"""Province abbreviations in codes (the `DT` of VN-DTOR-0017): regulatory data that the
authority enters. The ministry sets any province's, a provincial department or
plant-protection office its own province's. A change keeps the earlier row (inactive): codes
issued under it keep their abbreviation forever (../shared/design/codes.md).

The known ones are seeded from data/abbreviations.json, each with its source; so far only
those seen on real codes in the design notes (Đồng Tháp DT, Bến Tre BT)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require
from agritrace.accounts.models import OrgKind
from agritrace.audit.services import record, snapshot

from .models import AdminUnit, Level, ProvinceAbbreviation, Tree, UnitMapping
from .services import find_province

SEED = Path(__file__).parent / "data" / "abbreviations.json"
ABBREVIATION_RE = re.compile(r"^[A-Z]{2,3}$")


def listing(include_inactive: bool = False) -> QuerySet[ProvinceAbbreviation]:
    """The abbreviations, current tree first, by province name (earlier ones too if asked)."""
    qs = ProvinceAbbreviation.objects.select_related("province")
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("-province__tree", "province__name", "-active", "-pk")


def active_by_province(province_ids: list[int]) -> dict[int, str]:
    rows = ProvinceAbbreviation.objects.filter(province_id__in=province_ids, active=True)
    return dict(rows.values_list("province_id", "abbreviation"))


def may_set(actor: Actor, province: AdminUnit) -> bool:
    """The ministry for any province; a province's department or plant-protection office for
    its own (with a role that may write)."""
    from agritrace.accounts.access import can

    if not can(actor, "manage_catalogue"):
        return False
    return actor.kind == OrgKind.MINISTRY or actor.province_id == province.pk


def settable_provinces(actor: Actor) -> QuerySet[AdminUnit]:
    """The current provinces whose abbreviation the actor may set."""
    from agritrace.accounts.access import can

    qs = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.PROVINCE).order_by("name")
    if not can(actor, "manage_catalogue"):
        return qs.none()
    if actor.kind == OrgKind.MINISTRY:
        return qs
    return qs.filter(pk=actor.province_id)


def set_abbreviation(
    actor: Actor,
    province: str | AdminUnit,
    abbreviation: str,
    source: str,
    source_date: date | None = None,
    replace: bool = True,
) -> ProvinceAbbreviation:
    """Enter (or, with `replace`, change) a current province's abbreviation, with its source.
    Without `replace` a province that already has one is refused (say so, change it instead).
    The letters may not be another province's, except an earlier province's that now lies
    in this one (a merged province may keep an old abbreviation). Audited."""
    require(actor, "manage_catalogue")
    unit = province if isinstance(province, AdminUnit) else find_province(province)
    if unit is None or unit.tree != Tree.CURRENT or unit.level != Level.PROVINCE:
        raise ValidationError(
            {"province": _("No single current province “%(p)s”.") % {"p": province}}
        )
    if not may_set(actor, unit):
        raise PermissionDenied(
            _("Only the ministry or %(province)s's own authority may set its abbreviation.")
            % {"province": unit.name}
        )
    letters = (abbreviation or "").strip().upper()
    errors: dict[str, str] = {}
    if not ABBREVIATION_RE.match(letters):
        errors["abbreviation"] = _("Two or three letters A–Z, as on the codes (e.g. DT).")
    source = (source or "").strip()
    if not source:
        errors["source"] = _("Say where the abbreviation comes from (a decision, a code seen).")
    elif len(source) > 300:
        errors["source"] = _("At most 300 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the province's rows so that two authorities entering it at once do not race.
        list(AdminUnit.objects.select_for_update().filter(pk=unit.pk))
        current = ProvinceAbbreviation.objects.filter(province=unit, active=True).first()
        if current is not None and not replace:
            raise ValidationError(
                {
                    "province": _(
                        "%(province)s already has the abbreviation %(abbr)s; change it instead."
                    )
                    % {"province": unit.name, "abbr": current.abbreviation}
                }
            )
        _check_unused(unit, letters)
        if current is not None and current.abbreviation == letters:
            before = snapshot(current)
            current.source, current.source_date = source, source_date
            current.save(update_fields=["source", "source_date"])
            record(actor.user, "catalogue.abbreviation", current, before, snapshot(current))
            return current
        if current is not None:
            before = snapshot(current)
            current.active = False
            current.save(update_fields=["active"])
            record(
                actor.user,
                "catalogue.abbreviation.retire",
                current,
                before,
                snapshot(current),
                _("replaced by %(abbr)s") % {"abbr": letters},
            )
        row = ProvinceAbbreviation.objects.create(
            province=unit, abbreviation=letters, source=source, source_date=source_date
        )
        record(actor.user, "catalogue.abbreviation", row, None, snapshot(row))
    return row


def _check_unused(unit: AdminUnit, letters: str) -> None:
    others = (
        ProvinceAbbreviation.objects.filter(abbreviation=letters, active=True)
        .exclude(province=unit)
        .select_related("province")
    )
    merged_into_this = set(
        UnitMapping.objects.filter(current=unit, legacy__level=Level.PROVINCE).values_list(
            "legacy_id", flat=True
        )
    )
    for other in others:
        if other.province_id not in merged_into_this:
            raise ValidationError(
                {
                    "abbreviation": _("%(abbr)s is already the abbreviation of %(province)s.")
                    % {"abbr": letters, "province": other.province.name}
                }
            )


def load_known(apps=None) -> int:
    """Seed the abbreviations whose official form is known (data/abbreviations.json, each
    with its source). Idempotent; an authority's own entry for a province is left alone."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Unit = apps.get_model("places", "AdminUnit")
    Abbreviation = apps.get_model("places", "ProvinceAbbreviation")
    count = 0
    for item in json.loads(SEED.read_text(encoding="utf-8"))["abbreviations"]:
        unit = Unit.objects.filter(
            tree=item["tree"], level=Level.PROVINCE, code=item["province_code"]
        ).first()
        if unit is None or Abbreviation.objects.filter(province=unit, active=True).exists():
            continue
        Abbreviation.objects.create(
            province=unit,
            abbreviation=item["abbreviation"],
            source=item["source"],
            source_date=item.get("source_date"),
        )
        count += 1
    return count
