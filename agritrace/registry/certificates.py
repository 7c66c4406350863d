"""Certificates of an area (VietGAP, GlobalGAP, organic and the like): added, corrected and
removed by the area's representative or the authority, each checked, audited, one transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require
from agritrace.audit.services import record, snapshot

from .models import (
    Certificate,
    CodeStatus,
    PlantingArea,
)

CERTIFICATE_KINDS = [kind for kind, _label in Certificate.KINDS]


def _parse_day(value, field: str, errors: dict) -> date | None:
    """A date from a date or an ISO string (YYYY-MM-DD); None (and an error) otherwise."""
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = _("This date is required.")
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[field] = _("Give a date as YYYY-MM-DD.")
    return None


def _clean_certificate(area: PlantingArea, data: dict, instance: Certificate | None) -> dict:
    errors: dict = {}
    kind = data.get("kind")
    if kind not in CERTIFICATE_KINDS:
        errors["kind"] = _("Choose the kind of certificate: %(kinds)s.") % {
            "kinds": ", ".join(CERTIFICATE_KINDS)
        }
    number = data.get("number")
    number = number.strip() if isinstance(number, str) else ""
    if not number:
        errors["number"] = _("The certificate number is required.")
    elif len(number) > 60:
        errors["number"] = _("A certificate number has at most 60 characters.")
    issuer = data.get("issuer") or ""
    issuer = issuer.strip() if isinstance(issuer, str) else ""
    if len(issuer) > 200:
        errors["issuer"] = _("The issuer's name has at most 200 characters.")
    valid_from = _parse_day(data.get("valid_from"), "valid_from", errors)
    valid_to = _parse_day(data.get("valid_to"), "valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = _("The end of validity comes before its start.")
    if "kind" not in errors and "number" not in errors:
        same = Certificate.objects.filter(kind=kind, number__iexact=number)
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if same.filter(area=area).exists():
            errors["number"] = _("This certificate is already recorded for this area.")
        elif same.exclude(area__representative_id=area.representative_id).exists():
            # One certificate may cover several areas of one holder, never two holders'.
            errors["number"] = _("This certificate number is recorded for another holder.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "number": number,
        "issuer": issuer,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def _area_for_certificates(actor: Actor, area_id: int) -> PlantingArea:
    require(actor, "edit_registry")
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area_id)
    if area.code_status == CodeStatus.REVOKED:
        raise ValidationError({"area": _("A revoked area cannot be changed.")})
    return area


@transaction.atomic
def add_certificate(actor: Actor, area: PlantingArea, data: dict) -> Certificate:
    """Record a certificate (VietGAP, GlobalG.A.P., organic, ...) of a planting area: its
    representative or the authority does it. Market rules read these (market_rule_problems)."""
    area = _area_for_certificates(actor, area.pk)
    certificate = Certificate.objects.create(area=area, **_clean_certificate(area, data, None))
    record(actor.user, "certificate.add", certificate, None, snapshot(certificate), _reason(data))
    return certificate


@transaction.atomic
def update_certificate(actor: Actor, certificate: Certificate, data: dict) -> Certificate:
    area = _area_for_certificates(actor, certificate.area_id)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk, area=area)
    merged = {
        "kind": certificate.kind,
        "number": certificate.number,
        "issuer": certificate.issuer,
        "valid_from": certificate.valid_from,
        "valid_to": certificate.valid_to,
        **{k: v for k, v in data.items() if k != "reason"},
    }
    clean = _clean_certificate(area, merged, certificate)
    before = snapshot(certificate)
    for key, value in clean.items():
        setattr(certificate, key, value)
    certificate.save()
    record(
        actor.user, "certificate.update", certificate, before, snapshot(certificate), _reason(data)
    )
    return certificate


@transaction.atomic
def remove_certificate(actor: Actor, certificate: Certificate, reason: str = "") -> None:
    area = _area_for_certificates(actor, certificate.area_id)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk, area=area)
    record(actor.user, "certificate.remove", certificate, snapshot(certificate), None, reason)
    certificate.delete()


def _reason(data: dict) -> str:
    reason = data.get("reason") or ""
    return reason.strip() if isinstance(reason, str) else ""
