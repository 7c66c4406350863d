"""Code formats: generating codes at issuance and reading codes written by hand or by others.

Observed export formats (../shared/design/codes.md): VN-DTOR-0017 (area), VN-BTPH-036 and
VNDTPH-0001 (packing houses). The template and the province abbreviations are data."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.places.models import AdminUnit, ProvinceAbbreviation

from .models import CodeFormat, CodeHolder, CodeSerial, PackingHouse, PlantingArea

DEFAULT_FORMATS = {
    "area": ("VN-{province}{kind}-{serial:04d}", "OR"),
    "packing_house": ("VN-{province}{kind}-{serial:04d}", "PH"),
}

CODE_RE = re.compile(r"^\s*VN-?([A-Z]{2,3})(OR|PH)-(\d{3,6})\s*$", re.IGNORECASE)


def parse_code(text: str) -> str:
    """The canonical spelling of an export code: upper case, hyphen after VN, serial as
    issued (three-digit serials are real codes and stay three digits)."""
    match = CODE_RE.match(text or "")
    if not match:
        raise ValidationError(
            {
                "code": _("'%(code)s' is not a code of the form VN-XXOR-0001 or VN-XXPH-0001.")
                % {"code": text}
            }
        )
    province, kind, serial = match.groups()
    return f"VN-{province.upper()}{kind.upper()}-{serial}"


def code_format(kind: str) -> tuple[str, str]:
    fmt = CodeFormat.objects.filter(kind=kind).first()
    if fmt:
        return fmt.template, fmt.kind_segment
    return DEFAULT_FORMATS[kind]


def province_abbreviation(province: AdminUnit) -> str:
    abbr = ProvinceAbbreviation.objects.filter(province=province, active=True).first()
    if abbr is None:
        raise ValidationError(
            {
                "code": _(
                    "No code abbreviation is set for %(province)s. The authority must enter "
                    "it (page /places/abbreviations/ or agritrace abbreviations set) before a code "
                    "can be issued."
                )
                % {"province": province.name}
            }
        )
    return abbr.abbreviation


SERIAL_RE = re.compile(r"\{serial(?::[^}]*)?\}")


def serial_spellings(template: str, province: str, segment: str, serial: int) -> set[str]:
    """The ways a code of this template and serial is written: as the template says, and
    with the serial zero-padded to three to six digits or not padded at all."""
    out = {template.format(province=province, kind=segment, serial=serial)}
    for spec in ("", ":03d", ":04d", ":05d", ":06d"):
        variant = SERIAL_RE.sub("{serial" + spec + "}", template)
        out.add(variant.format(province=province, kind=segment, serial=serial))
    return out


def allocate_code(holder: CodeHolder) -> str:
    """The next unused code for this holder's kind and province. Serials only grow (the
    counter row is locked while it moves), so a code is never handed out twice or reused
    after revocation. Call inside the issuing transaction."""
    kind = "area" if isinstance(holder, PlantingArea) else "packing_house"
    template, segment = code_format(kind)
    province = province_abbreviation(holder.province)
    prefix = f"{kind}|{template}|{province}|{segment}"
    with transaction.atomic():
        CodeSerial.objects.get_or_create(prefix=prefix)
        counter = CodeSerial.objects.select_for_update().get(prefix=prefix)
        model = PlantingArea if kind == "area" else PackingHouse
        while True:
            counter.last_serial += 1
            code = template.format(province=province, kind=segment, serial=counter.last_serial)
            # An imported code may already hold this serial, also written with another number
            # of digits (VN-DLOR-017 is serial 17 as much as VN-DLOR-0017): step over it.
            spellings = serial_spellings(template, province, segment, counter.last_serial)
            if not model.objects.filter(code__in=spellings).exists():
                break
        counter.save(update_fields=["last_serial"])
    return code
