"""The AI rules of GS1 Digital Link come from GS1's Barcode Syntax Dictionary (issue 16): key
qualifiers only in the path, in the dictionary's order; only AIs the dictionary marks as data
attributes in the query; lengths, character sets, check digits and dates as the dictionary
says; every primary key it lists is parsed; build() writes nothing that parse() refuses."""

from pathlib import Path

import pytest

from agritrace.gs1 import check_digit
from agritrace.stamps import ai_dictionary
from agritrace.stamps import digital_link as dl

GTIN = "09520123456788"
CONFORMANCE = (
    Path(__file__).resolve().parents[3].parent / "shared/conformance/gs1/gs1-syntax-dictionary.txt"
)


def test_the_packaged_dictionary_is_gs1s_file():
    if not CONFORMANCE.exists():
        pytest.skip("no conformance copy beside the repository")
    assert ai_dictionary.DICTIONARY.read_bytes() == CONFORMANCE.read_bytes()


def test_every_ai_and_key_comes_from_the_dictionary():
    table = ai_dictionary.table()
    assert len(table) == 541  # every AI of the file, ranges (3100-3105, 91-99) expanded
    assert dl.AIS is table
    assert table["90"].max_length == 30 and table["91"].max_length == 90
    assert table["01"].dlpkey == (("22", "10", "21"), ("235",))
    assert table["415"].dlpkey == (("8020",),)
    assert {k for k in dl.QUALIFIERS if k != dl.OWN_KEY} == {
        ai for ai, entry in table.items() if entry.dlpkey is not None
    }


def test_a_dictionary_with_an_unknown_linter_is_refused():
    with pytest.raises(ValueError, match="unknown linter"):
        ai_dictionary.parse_dictionary("99   ?  X..30,newrule   # NEW")


def _valid(ai: str) -> str:
    """A value of `ai` that meets its format (the components it must have)."""
    out = ""
    for c in ai_dictionary.table()[ai].components:
        if c.optional:
            break
        if "csum" in c.linters:
            base = ("952012345678" * 3)[: c.max_length - 1]
            out += base + check_digit(base)
        elif "zero" in c.linters:
            out += "0"
        elif "pieceoftotal" in c.linters:
            out += "0102"
        elif "csumalpha" in c.linters:
            out += "1987654Ad4X4bL5ttr2310c2K"
        elif c.kind == "N":
            out += "1" * c.min_length
        else:
            out += "A" * c.min_length
    return out


CSUM_AIS = sorted(
    ai
    for ai, entry in ai_dictionary.table().items()
    if any("csum" in c.linters for c in entry.components)
)


@pytest.mark.parametrize("ai", CSUM_AIS)
def test_check_digits_on_every_csum_ai(ai):
    entry = ai_dictionary.table()[ai]
    value = _valid(ai)
    assert entry.validate(value) == value
    position = sum(c.max_length for c in entry.components[:1]) - 1
    if entry.components[0].linters[:1] != ("csum",):  # (8003): N1 zero, then the GTIN-like part
        position = sum(c.max_length for c in entry.components[:2]) - 1
    broken = value[:position] + str((int(value[position]) + 1) % 10) + value[position + 1 :]
    with pytest.raises(ai_dictionary.AIValueError) as caught:
        entry.validate(broken)
    assert caught.value.code == "check_digit"


@pytest.mark.parametrize("ai", sorted(ai_dictionary.primary_keys()))
def test_every_primary_key_of_the_dictionary_is_parsed(ai):
    uri = f"https://brand.example/{ai}/{dl.escape(_valid(ai))}"
    link = dl.parse(uri)
    assert link.primary == ai and dl.parse(link.canonical()).primary == ai


def test_the_pay_to_gln_and_its_qualifier():
    gln = "541234500001"
    gln += check_digit(gln)
    link = dl.parse(f"https://a.example/415/{gln}/8020/ABC123")
    assert link.element_string() == f"(415){gln}(8020)ABC123"
    with pytest.raises(dl.DigitalLinkError):
        dl.parse(f"https://a.example/415/{gln}/21/ABC123")


@pytest.mark.parametrize(
    "primary, key, ai, value",
    [
        ("01", GTIN, "10", "ABC"),
        ("01", GTIN, "21", "S1"),
        ("01", GTIN, "22", "2A"),
        ("01", GTIN, "235", "T1"),
        ("414", "9520123456788", "254", "32"),
        ("414", "9520123456788", "7040", "1ABC"),
        ("8010", "0628165987", "8011", "9876"),
        ("8017", "952012345678912345", "8019", "7"),
    ],
)
def test_key_qualifiers_in_the_query_are_refused(primary, key, ai, value):
    with pytest.raises(dl.DigitalLinkError) as caught:
        dl.parse(f"https://a.example/{primary}/{key}?{ai}={value}")
    assert caught.value.code == "qualifier_in_query"
    assert "belongs in the path" in str(caught.value)
    with pytest.raises(dl.DigitalLinkError) as caught:
        dl.build("https://a.example", primary, key, attributes={ai: value})
    assert caught.value.code == "qualifier_in_query"


@pytest.mark.parametrize(
    "attributes, code",
    [
        ({"8200": "https://example.com/x"}, "not_attribute"),  # (8200) has no "?" flag
        ({"21": "S1"}, "qualifier_in_query"),
        ({"254": "X"}, "not_attribute"),  # (254) is a qualifier of (414) only
        ({"999": "X"}, "unknown_ai"),
        ({"90": "A" * 31}, "bad_value"),
        ({"17": "260230"}, "bad_date"),
        ({"17": "261301"}, "bad_date"),
        ({"410": "9520123456789"}, "check_digit"),
        ({"3103": "12345"}, "bad_value"),
    ],
)
def test_build_refuses_what_parse_refuses(attributes, code):
    with pytest.raises(dl.DigitalLinkError) as caught:
        dl.build("https://a.example", "01", GTIN, {"10": "L1"}, attributes)
    assert caught.value.code == code
    ((ai, value),) = attributes.items()
    with pytest.raises(dl.DigitalLinkError) as parsed:
        dl.parse(f"https://a.example/01/{GTIN}/10/L1?{ai}={dl.escape(value)}")
    assert parsed.value.code == code


def test_internal_information_lengths_from_the_dictionary():
    base = f"https://a.example/01/{GTIN}"
    assert dl.parse(f"{base}?90={'A' * 30}").attribute("90") == "A" * 30
    assert dl.parse(f"{base}?91={'A' * 90}").attribute("91") == "A" * 90
    with pytest.raises(dl.DigitalLinkError):
        dl.parse(f"{base}?90={'A' * 31}")
    link = dl.build("https://a.example", "01", GTIN, attributes={"90": "A" * 30, "s": "x"})
    assert dl.parse(link.uri()) == link


@pytest.mark.parametrize(
    "ai, value, ok",
    [
        ("11", "240229", True),  # 2024 is a leap year
        ("11", "230229", False),
        ("13", "260431", False),
        ("15", "260400", True),  # yymmd0: day 00 allowed (end of month)
        ("16", "261200", True),
        ("17", "260230", False),
        ("17", "261331", False),
        ("17", "261231", True),
        ("7006", "260400", False),  # yymmdd: day 00 not allowed
        ("7006", "260401", True),
        ("7003", "2604012460", False),  # hhmi: 24:60
        ("7003", "2604012359", True),
    ],
)
def test_dates_are_real_dates(ai, value, ok):
    uri = f"https://a.example/01/{GTIN}?{ai}={value}"
    if ok:
        assert dl.parse(uri).attribute(ai) == value
    else:
        with pytest.raises(dl.DigitalLinkError) as caught:
            dl.parse(uri)
        assert caught.value.code == "bad_date"


def test_build_writes_a_deprecated_alpha_as_its_ai_and_checks_it():
    link = dl.build("https://a.example", "01", GTIN, attributes=[("exp", "261231"), ("s", "k")])
    assert link.uri() == f"https://a.example/01/{GTIN}?17=261231&s=k"
    assert dl.parse(link.uri()) == link
    with pytest.raises(dl.DigitalLinkError) as caught:
        dl.build("https://a.example", "01", GTIN, attributes={"lot": "L1"})  # (10) qualifies 01
    assert caught.value.code == "qualifier_in_query"
