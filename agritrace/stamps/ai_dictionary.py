"""GS1 Application Identifiers, read from GS1's Barcode Syntax Dictionary.

`data/gs1/gs1-syntax-dictionary.txt` (GS1's own machine-readable table, see the README beside
it) is parsed once per process: each AI's title, its components (type N/X/Y/Z, fixed or
variable length, optional or not) and their linters (check digits, dates, …), whether it may be a
GS1 Digital Link data attribute (flag `?`), and, for a primary key, its qualifiers in order
(`dlpkey=`). No AI rule is written in this code; an update of GS1's table is a file
replacement.

Linters: those below with a function are checked. Some need data that this repository does not
hold (the GS1 Company Prefix allocations, ISO 3166/4217 code lists, GS1 code lists); they are
named in `UNCHECKED_LINTERS` and not checked. A linter the dictionary names that is in neither
set stops the start-up, so that a new dictionary cannot add an unchecked rule unnoticed.
Association rules (`req=`, `ex=`) are read but not enforced.

Pure functions, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agritrace.gs1 import has_valid_check_digit

DICTIONARY = Path(__file__).resolve().parent / "data" / "gs1" / "gs1-syntax-dictionary.txt"

#: Character sets of the component types (GS1 General Specifications §7.11).
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
CSET39 = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CSET64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TYPES = {
    "N": frozenset("0123456789"),
    "X": frozenset(CSET82),
    "Y": frozenset(CSET39),
    "Z": frozenset(CSET64 + "="),
}
_FLAGS = frozenset("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")


class AIValueError(ValueError):
    """A value that breaks its AI's rule; `code` is bad_value, check_digit or bad_date."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------ linters


def _days_in_month(year: int | None, month: int) -> int:
    if month == 2:
        # A two-digit year: GS1's century window (General Specifications §7.12) puts every year
        # divisible by four in a leap year.
        leap = (
            year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) if year > 99 else year % 4 == 0
        )
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _date(value: str, year_digits: int, day_zero: bool) -> bool:
    if len(value) != year_digits + 4 or not value.isdigit():
        return False
    year, month, day = int(value[:year_digits]), int(value[-4:-2]), int(value[-2:])
    if not 1 <= month <= 12:
        return False
    if day == 0:
        return day_zero  # "yymmd0": day 00 stands for the end of the month
    return day <= _days_in_month(year, month)


def _csumalpha(value: str) -> bool:
    """The GS1 check character pair (General Specifications §7.9.5): the last two characters."""
    primes = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73)
    primes += (79, 83)
    data, pair = value[:-2], value[-2:]
    if len(value) < 3 or len(data) > len(primes) or any(ch not in CSET82 for ch in data):
        return False
    total = sum(CSET82.index(ch) * primes[len(data) - 1 - i] for i, ch in enumerate(data)) % 1021
    cset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return pair == cset32[total // 32] + cset32[total % 32]


def _piece_of_total(value: str) -> bool:
    half = len(value) // 2
    piece, total = int(value[:half] or 0), int(value[half:] or 0)
    return len(value) % 2 == 0 and 1 <= piece <= total


def _pcenc(value: str) -> bool:
    return all(
        value[i + 1 : i + 3] and re.fullmatch(r"[0-9A-Fa-f]{2}", value[i + 1 : i + 3])
        for i, ch in enumerate(value)
        if ch == "%"
    )


def _iban(value: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Za-z]{1,30}", value):
        return False
    moved = (value[4:] + value[:4]).upper()
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _position_in_sequence(value: str) -> bool:
    m = re.fullmatch(r"([1-9])/([1-9])", value)
    return bool(m) and int(m.group(1)) <= int(m.group(2))


#: linter name → (check, error code)
LINTERS: dict[str, tuple[Callable[[str], bool], str]] = {
    "csum": (has_valid_check_digit, "check_digit"),
    "csumalpha": (_csumalpha, "check_digit"),
    "yymmd0": (lambda v: _date(v, 2, True), "bad_date"),
    "yymmdd": (lambda v: _date(v, 2, False), "bad_date"),
    "yyyymmdd": (lambda v: _date(v, 4, False), "bad_date"),
    "hhmi": (lambda v: len(v) == 4 and int(v[:2]) < 24 and int(v[2:]) < 60, "bad_date"),
    "hh": (lambda v: len(v) == 2 and int(v) < 24, "bad_date"),
    "mi": (lambda v: len(v) == 2 and int(v) < 60, "bad_date"),
    "ss": (lambda v: len(v) == 2 and int(v) < 60, "bad_date"),
    "zero": (lambda v: v == "0", "bad_value"),
    "nonzero": (lambda v: int(v) != 0, "bad_value"),
    "nozeroprefix": (lambda v: v == "0" or not v.startswith("0"), "bad_value"),
    "yesno": (lambda v: v in ("0", "1"), "bad_value"),
    "winding": (lambda v: v in ("0", "1", "9"), "bad_value"),
    "iso5218": (lambda v: v in ("0", "1", "2", "9"), "bad_value"),
    "hyphen": (lambda v: v == "-", "bad_value"),
    "hasnondigit": (lambda v: not v.isdigit(), "bad_value"),
    "pieceoftotal": (_piece_of_total, "bad_value"),
    "pcenc": (_pcenc, "bad_value"),
    "iban": (_iban, "bad_value"),
    "posinseqslash": (_position_in_sequence, "bad_value"),
}
#: Linters that need data this repository does not hold: not checked (docs/identifiers.md).
UNCHECKED_LINTERS = frozenset(
    {
        "gcppos1",  # GS1 Company Prefix allocations
        "gcppos2",
        "iso3166",  # ISO 3166-1 numeric country codes
        "iso3166999",
        "iso3166alpha2",
        "iso4217",  # ISO 4217 currency codes
        "importeridx",  # GS1 importer index character table
        "mediatype",  # GS1 AIDC media type code list
        "packagetype",  # GS1 package type code list
        "latitude",
        "longitude",
        "couponcode",  # North American coupon structure
        "couponposoffer",
    }
)


# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Component:
    kind: str  # N, X, Y or Z
    min_length: int
    max_length: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AI:
    ai: str
    title: str
    components: tuple[Component, ...]
    fixed_length: bool  # flag "*": no FNC1 separator needed
    data_attribute: bool  # flag "?": may be a GS1 Digital Link data attribute
    #: None: not a primary key; else the alternative qualifier sequences ((),) for none)
    dlpkey: tuple[tuple[str, ...], ...] | None
    attributes: tuple[str, ...]

    @property
    def max_length(self) -> int:
        return sum(c.max_length for c in self.components)

    def validate(self, value: str) -> str:
        """The value itself, or AIValueError naming the broken rule."""
        rest = value
        for component in self.components:
            if not rest and component.optional:
                break
            if component.min_length == component.max_length:
                if len(rest) < component.min_length:
                    raise AIValueError(
                        "bad_value",
                        f"({self.ai}) {self.title}: {value!r} is shorter than its format",
                    )
                part, rest = rest[: component.max_length], rest[component.max_length :]
            else:
                part, rest = rest, ""
                if not component.min_length <= len(part) <= component.max_length:
                    raise AIValueError(
                        "bad_value",
                        f"({self.ai}) {self.title}: {value!r} is not 1 to "
                        f"{component.max_length} characters",
                    )
            if any(ch not in _TYPES[component.kind] for ch in part):
                raise AIValueError(
                    "bad_value",
                    f"({self.ai}) {self.title}: {value!r} holds characters outside its "
                    f"format ({component.kind})",
                )
            for linter in component.linters:
                check = LINTERS.get(linter)
                if check and not check[0](part):
                    raise AIValueError(
                        check[1], f"({self.ai}) {self.title}: {part!r} fails the {linter} rule"
                    )
        if rest:
            raise AIValueError(
                "bad_value",
                f"({self.ai}) {self.title}: {value!r} is longer than its format "
                f"({self.max_length} characters at most)",
            )
        return value


def _component(token: str) -> Component:
    optional = token.startswith("[")
    kind_length, *linters = token.replace("[", "").replace("]", "").split(",")
    m = re.fullmatch(r"([NXYZ])(\.\.)?(\d+)", kind_length)
    if not m:
        raise ValueError(f"GS1 syntax dictionary: bad component {token!r}")
    length = int(m.group(3))
    for linter in linters:
        if linter not in LINTERS and linter not in UNCHECKED_LINTERS:
            raise ValueError(f"GS1 syntax dictionary: unknown linter {linter!r}")
    return Component(m.group(1), 1 if m.group(2) else length, length, optional, tuple(linters))


def _ais(first: str) -> list[str]:
    if "-" not in first:
        return [first]
    low, high = first.split("-")
    return [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]


def parse_dictionary(text: str) -> dict[str, AI]:
    """AI → its entry, for every line of a GS1 Barcode Syntax Dictionary."""
    table: dict[str, AI] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        body, _hash, title = line.partition("#")
        tokens = body.split()
        first, tokens = tokens[0], tokens[1:]
        flags = ""
        if tokens and all(ch in _FLAGS for ch in tokens[0]):
            flags, tokens = tokens[0], tokens[1:]
        spec = [t for t in tokens if re.match(r"^\[?[NXYZ]", t)]
        rest = tuple(t for t in tokens if t not in spec)
        dlpkey = None
        for attribute in rest:
            name, _eq, value = attribute.partition("=")
            if name == "dlpkey":
                dlpkey = (
                    tuple(tuple(alt.split(",")) for alt in value.split("|")) if value else ((),)
                )
        components = tuple(_component(t) for t in spec)
        for ai in _ais(first):
            table[ai] = AI(
                ai=ai,
                title=title.strip(),
                components=components,
                fixed_length="*" in flags,
                data_attribute="?" in flags,
                dlpkey=dlpkey,
                attributes=rest,
            )
    return table


@cache
def table() -> dict[str, AI]:
    """The AIs of the packaged dictionary (read once per process)."""
    return parse_dictionary(DICTIONARY.read_text(encoding="utf-8"))


def primary_keys() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Digital Link primary key → its alternative qualifier sequences, as the dictionary says."""
    return {ai: entry.dlpkey for ai, entry in table().items() if entry.dlpkey is not None}
