"""Look-ups over the administrative units (see loader.py for where they come from)."""

from __future__ import annotations

import functools
import re
import unicodedata

from django.db.models import Q, QuerySet

from .models import AdminUnit, Level, Tree

# Prefixes people write (or leave out) before a unit's name, already folded (see fold()).
COMMUNE_PREFIXES = ("thi tran", "dac khu", "phuong", "xa", "p.", "x.", "tt.", "tt")
PROVINCE_PREFIXES = ("thanh pho", "tinh", "tp.", "tp")


def fold(text: str) -> str:
    """Lower case, without diacritics, apostrophes or spacing differences:
    'Xã Ea H’Leo' -> 'xa ea hleo', 'Chân Mây – Lăng Cô' -> 'chan may-lang co'."""
    s = unicodedata.normalize("NFC", str(text)).replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[’‘`´']", "", s)
    s = re.sub(r"\s*[-–—]\s*", "-", s)
    return re.sub(r"\s+", " ", s).strip()


def _strip_prefix(folded: str, prefixes: tuple[str, ...]) -> tuple[str, str]:
    """('xa ea hleo', ...) -> ('xa', 'ea hleo'); no prefix -> ('', text)."""
    for prefix in prefixes:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            rest = folded[len(prefix) :]
            if prefix.endswith(".") or rest.startswith(" "):
                return prefix.rstrip("."), rest.strip()
    return "", folded


def _exact_key(text: str) -> str:
    """Case/spacing-insensitive but diacritics-sensitive key."""
    s = unicodedata.normalize("NFC", str(text)).lower()
    s = re.sub(r"[’‘`´']", "", s)
    s = re.sub(r"\s*[-–—]\s*", "-", s)
    return re.sub(r"\s+", " ", s).strip()


_PREFIX_TYPES = {
    "xa": "xa",
    "x": "xa",
    "phuong": "phuong",
    "p": "phuong",
    "thi tran": "thi tran",
    "tt": "thi tran",
    "dac khu": "dac khu",
}


def provinces(tree: str = Tree.CURRENT) -> QuerySet[AdminUnit]:
    """The provinces of a tree (by default the current 34), by name."""
    return AdminUnit.objects.filter(tree=tree, level=Level.PROVINCE).order_by("name")


def find_province(
    name_or_code: str | int | AdminUnit, tree: str = Tree.CURRENT
) -> AdminUnit | None:
    """A province by code ('66', 66) or name ('Đắk Lắk', 'tinh dak lak', 'TP. Hồ Chí Minh')."""
    if isinstance(name_or_code, AdminUnit):
        return name_or_code if name_or_code.level == Level.PROVINCE else name_or_code.province
    text = str(name_or_code).strip()
    qs = provinces(tree)
    if text.isdigit():
        return qs.filter(code=f"{int(text):02d}").first()
    wanted = _strip_prefix(fold(text), PROVINCE_PREFIXES)[1]
    matches = [p for p in qs if _strip_prefix(fold(p.name), PROVINCE_PREFIXES)[1] == wanted]
    return matches[0] if len(matches) == 1 else None


def find_commune(
    province_name_or_code: str | int | AdminUnit, commune_name: str, tree: str = Tree.CURRENT
) -> AdminUnit | None:
    """A commune/ward of a province by name, with or without 'Xã'/'Phường'/... and with or
    without diacritics. None if nothing matches or the name is ambiguous (e.g. 'An Bình'
    when the province has both 'Xã An Bình' and 'Phường An Bình')."""
    province = find_province(province_name_or_code, tree)
    if province is None or not commune_name or not commune_name.strip():
        return None
    candidates = list(
        AdminUnit.objects.filter(tree=province.tree, level=Level.COMMUNE).filter(
            Q(parent=province) | Q(parent__parent=province)
        )
    )

    # 1. the exact name (case/spacing-insensitive)
    key = _exact_key(commune_name)
    exact = [c for c in candidates if _exact_key(c.name) == key]
    if len(exact) == 1:
        return exact[0]

    # 2. diacritics-insensitive, with or without prefix; a prefix given decides between types
    folded = fold(commune_name)
    given_type, bare = _strip_prefix(folded, COMMUNE_PREFIXES)
    given_type = _PREFIX_TYPES.get(given_type, "")
    matches = []
    for c in candidates:
        ctype, cbare = _strip_prefix(fold(c.name), COMMUNE_PREFIXES)
        if cbare in (bare, folded):  # 'Xa La' may be the name itself, not 'Xã La'
            matches.append((ctype, c))
    if given_type and len(matches) > 1:
        matches = [m for m in matches if m[0] == given_type]
    if len(matches) > 1:
        # diacritics may still tell them apart ('Hòa An' vs 'Hoà Ân')
        bare_exact = _strip_prefix(
            _exact_key(commune_name), ("xã", "phường", "thị trấn", "đặc khu")
        )[1]
        matches = [m for m in matches if _exact_key(m[1].name).endswith(" " + bare_exact)]
    return matches[0][1] if len(matches) == 1 else None


def current_unit_for_legacy(legacy_unit: AdminUnit) -> list[AdminUnit]:
    """The current unit(s) an earlier unit (all or part of it) now lies in. An earlier
    province gives current provinces; an earlier commune the current commune(s) (several when
    it was split); an earlier district the current communes its communes went into. A unit of
    the current tree gives itself."""
    if legacy_unit.tree == Tree.CURRENT:
        return [legacy_unit]
    return list(
        AdminUnit.objects.filter(mapped_from__legacy=legacy_unit).distinct().order_by("name")
    )


def search_communes(
    province: AdminUnit | None = None, q: str = "", tree: str = Tree.CURRENT
) -> list[AdminUnit]:
    """Communes/wards of a tree, of one province (any level under it) and/or matching `q`:
    digits are the official code (exact), anything else a part of the name from the
    start of a word, with or without
    diacritics and the 'Xã'/'Phường' prefix. Exact names first, then by name."""
    qs = AdminUnit.objects.filter(tree=tree, level=Level.COMMUNE).select_related("parent__parent")
    if province is not None:
        qs = qs.filter(Q(parent=province) | Q(parent__parent=province))
    text = (q or "").strip()
    if not text:
        return list(qs.order_by("name", "code"))
    if text.isdigit():
        return list(qs.filter(code=text.zfill(5)))
    folded = fold(text)
    given_type, bare = _strip_prefix(folded, COMMUNE_PREFIXES)
    given_type = _PREFIX_TYPES.get(given_type, "")
    ranked = []
    for pk, name, code in qs.values_list("pk", "name", "code").iterator(chunk_size=2000):
        ctype, cbare, cfolded = _commune_parts(name)
        # the text from the start of a word on: 'an' finds 'Tân An', not 'Tân Lập'
        whole = f" {folded}" in f" {cfolded}"
        same_type = not (given_type and ctype and _PREFIX_TYPES.get(ctype) != given_type)
        if whole or (same_type and f" {bare}" in f" {cbare}"):
            ranked.append((0 if cbare == bare else 1, cfolded, code, pk))
    ranked.sort()
    units = qs.in_bulk([r[3] for r in ranked])
    return [units[r[3]] for r in ranked]


@functools.lru_cache(maxsize=32768)
def _commune_parts(name: str) -> tuple[str, str, str]:
    """(type prefix, bare name, whole name), folded: the search's view of a unit's name."""
    folded = fold(name)
    ctype, cbare = _strip_prefix(folded, COMMUNE_PREFIXES)
    return ctype, cbare, folded


def resolve_place(
    commune_code: str | None = None,
    commune_name: str | None = None,
    province_name: str | None = None,
    *,
    allow_province: bool = False,
) -> AdminUnit | None:
    """The current unit that outside systems name: a commune by its official code
    (`commune_code`) or by name within its province (`commune_name` + `province_name`, the
    province by name or code); with `allow_province`, a province alone. None when nothing is
    given; a ValidationError naming the field when unknown or ambiguous."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    code = str(commune_code or "").strip()
    name = str(commune_name or "").strip()
    province_text = str(province_name or "").strip()
    province = None
    if province_text:
        province = find_province(province_text)
        if province is None:
            raise ValidationError(
                {"province_name": _("No single current province “%(p)s”.") % {"p": province_text}}
            )
    if code:
        unit = None
        if code.isdigit():
            unit = AdminUnit.objects.filter(
                tree=Tree.CURRENT, level=Level.COMMUNE, code=code.zfill(5)
            ).first()
        if unit is None:
            raise ValidationError(
                {
                    "commune_code": _("No current commune or ward has the code “%(c)s”.")
                    % {"c": code}
                }
            )
        if province is not None and unit.parent_id != province.pk:
            raise ValidationError(
                {
                    "commune_code": _("Commune %(c)s (%(n)s) is not in %(p)s.")
                    % {"c": unit.code, "n": unit.name, "p": province.name}
                }
            )
        if name and find_commune(unit.parent, name) != unit:
            raise ValidationError(
                {
                    "commune_name": _("“%(n)s” is not the name of commune %(c)s (%(real)s).")
                    % {"n": name, "c": unit.code, "real": unit.name}
                }
            )
        return unit
    if name:
        if province is None:
            raise ValidationError(
                {"province_name": _("Give the province of the commune “%(n)s”.") % {"n": name}}
            )
        unit = find_commune(province, name)
        if unit is not None:
            return unit
        bare = _strip_prefix(fold(name), COMMUNE_PREFIXES)[1]
        same = [u for u in search_communes(province, name) if _commune_parts(u.name)[1] == bare]
        if len(same) > 1:
            raise ValidationError(
                {
                    "commune_name": _(
                        "“%(n)s” is ambiguous in %(p)s: %(choices)s. Give commune_code."
                    )
                    % {
                        "n": name,
                        "p": province.name,
                        "choices": ", ".join(f"{u.name} ({u.code})" for u in same),
                    }
                }
            )
        raise ValidationError(
            {
                "commune_name": _("No commune or ward “%(n)s” in %(p)s.")
                % {"n": name, "p": province.name}
            }
        )
    if province is not None and allow_province:
        return province
    if province is not None:
        raise ValidationError(
            {"commune_name": _("Give the commune (commune_code or commune_name).")}
        )
    return None
