"""GS1 Digital Link parser and generator: the examples of the GS1 Digital Link standard (URI
Syntax 1.2, as GS1's own barcode engine tests them, with the element strings they stand for),
the round trip parse → generate → parse, the deprecated alphas, and malformed input."""

import pytest

from agritrace.stamps import digital_link as dl

#: (URI from the standard's examples, its element string, its canonical form)
STANDARD_EXAMPLES = [
    (
        "https://id.gs1.org/01/09520123456788",
        "(01)09520123456788",
        "https://id.gs1.org/01/09520123456788",
    ),
    (
        "https://brand.example.com/01/9520123456788",
        "(01)09520123456788",
        "https://id.gs1.org/01/09520123456788",
    ),
    (
        "https://brand.example.com/some-extra/pathinfo/01/9520123456788",
        "(01)09520123456788",
        "https://id.gs1.org/01/09520123456788",
    ),
    (
        "https://id.gs1.org/01/09520123456788/22/2A",
        "(01)09520123456788(22)2A",
        "https://id.gs1.org/01/09520123456788/22/2A",
    ),
    (
        "https://id.gs1.org/01/09520123456788/10/ABC123",
        "(01)09520123456788(10)ABC123",
        "https://id.gs1.org/01/09520123456788/10/ABC123",
    ),
    (
        "https://id.gs1.org/01/09520123456788/21/12345",
        "(01)09520123456788(21)12345",
        "https://id.gs1.org/01/09520123456788/21/12345",
    ),
    (
        "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426",
        "(01)09520123456788(10)ABC1(21)12345(17)180426",
        "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345",
    ),
    (
        "https://id.gs1.org/01/09520123456788?3103=000195",
        "(01)09520123456788(3103)000195",
        "https://id.gs1.org/01/09520123456788",
    ),
    (
        "https://example.com/01/9520123456788?3103=000195&3922=0299&17=201225",
        "(01)09520123456788(3103)000195(3922)0299(17)201225",
        "https://id.gs1.org/01/09520123456788",
    ),
    (
        "https://id.gs1.org/00/952012345678912345",
        "(00)952012345678912345",
        "https://id.gs1.org/00/952012345678912345",
    ),
    (
        "https://id.gs1.org/00/952012345678912345?02=09520123456788&37=25&10=ABC123",
        "(00)952012345678912345(02)09520123456788(37)25(10)ABC123",
        "https://id.gs1.org/00/952012345678912345",
    ),
    (
        "https://id.gs1.org/414/9520123456788",
        "(414)9520123456788",
        "https://id.gs1.org/414/9520123456788",
    ),
    (
        "https://id.gs1.org/414/9520123456788/254/32a%2Fb",
        "(414)9520123456788(254)32a/b",
        "https://id.gs1.org/414/9520123456788/254/32a%2Fb",
    ),
    (
        "https://example.com/8004/9520614141234567?01=9520123456788",
        "(8004)9520614141234567(01)09520123456788",
        "https://id.gs1.org/8004/9520614141234567",
    ),
    # GS1's engine tests beyond the standard's list
    (
        "https://a/01/12312312312333/22/TEST/10/ABC/21/XYZ",
        "(01)12312312312333(22)TEST(10)ABC(21)XYZ",
        "https://id.gs1.org/01/12312312312333/22/TEST/10/ABC/21/XYZ",
    ),
    (
        "https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ%2f987",
        "(01)12312312312333(22)ABC-123(99)ABC(98)XYZ/987",
        "https://id.gs1.org/01/12312312312333/22/ABC-123",
    ),
    (
        "https://a/00/faux/00/006141411234567890",  # a domain's own path that looks like a key
        "(00)006141411234567890",
        "https://id.gs1.org/00/006141411234567890",
    ),
    (
        "https://a/01/02345673",  # GTIN-8 → GTIN-14
        "(01)00000002345673",
        "https://id.gs1.org/01/00000002345673",
    ),
    (
        "https://a/8018/123456789012345675/8019/123",
        "(8018)123456789012345675(8019)123",
        "https://id.gs1.org/8018/123456789012345675/8019/123",
    ),
]


@pytest.mark.parametrize("uri,elements,canonical", STANDARD_EXAMPLES)
def test_the_standards_examples_parse_to_their_element_strings(uri, elements, canonical):
    link = dl.parse(uri)
    assert link.element_string() == elements
    assert link.canonical() == canonical


@pytest.mark.parametrize("uri,_elements,_canonical", STANDARD_EXAMPLES)
def test_parse_generate_round_trip(uri, _elements, _canonical):
    link = dl.parse(uri)
    again = dl.parse(link.uri())
    assert again == link
    assert again.uri() == link.uri()
    assert dl.parse(link.canonical()).canonical() == link.canonical()


def test_parts_are_read():
    link = dl.parse("https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426")
    assert (link.gtin, link.lot, link.serial) == ("09520123456788", "ABC1", "12345")
    assert link.attribute("17") == "180426"
    assert link.stem == "https://id.gs1.org"


def test_fragments_empty_parameters_and_singletons_are_ignored():
    base = "https://a/01/12312312312333"
    assert dl.parse(base + "/22/test/10/abc/21/xyz#fragment").serial == "xyz"
    link = dl.parse(base + "?&&&99=ABC&singleton&&98=XYZ&&&")
    assert link.attributes == (("99", "ABC"), ("98", "XYZ"))
    assert dl.parse(base + "?").attributes == ()


def test_extension_parameters_are_kept_in_order():
    link = dl.parse("https://x.example/01/09520123456788/10/A?s=1.abc&17=261231&linkType=gs1:pip")
    assert link.attributes == (("s", "1.abc"), ("17", "261231"), ("linkType", "gs1:pip"))
    assert link.element_string() == "(01)09520123456788(10)A(17)261231"


def test_the_convenience_alphas_are_read_as_their_ais():
    link = dl.parse("https://example.com/gtin/09520123456788/lot/ABC123/ser/X1?exp=180426")
    assert link.primary == "01" and link.lot == "ABC123" and link.serial == "X1"
    assert link.attributes == (("17", "180426"),)
    # … and never written
    assert link.uri() == "https://example.com/01/09520123456788/10/ABC123/21/X1?17=180426"


def test_generator_puts_qualifiers_in_the_standards_order_and_escapes():
    link = dl.build(
        "https://example.com/", "01", "9520123456788", {"21": "S1/2&x", "10": "B1", "22": "2A"}
    )
    assert link.uri() == "https://example.com/01/09520123456788/22/2A/10/B1/21/S1%2F2%26x"
    assert dl.parse(link.uri()).serial == "S1/2&x"
    with_attrs = dl.build("https://e.x", "01", "09520123456788", {"10": "B"}, {"17": "261231"})
    assert with_attrs.uri() == "https://e.x/01/09520123456788/10/B?17=261231"


def test_the_services_own_namespace():
    link = dl.build("https://tx.example.vn", dl.OWN_KEY, "VN-DLPH-0001", {"10": "L-1", "21": "a"})
    assert link.uri() == "https://tx.example.vn/p/VN-DLPH-0001/10/L-1/21/a"
    assert dl.parse(link.uri()) == link


@pytest.mark.parametrize(
    "uri,code",
    [
        ("", "empty"),
        ("not a uri", "bad_character"),
        ("ftp://example.com/01/09520123456788", "not_http"),
        ("https://example.com/", "no_primary_key"),
        ("https://example.com/products/123", "no_primary_key"),
        ("https://id.gs1.org/01/09520123456789", "check_digit"),  # wrong check digit
        ("https://id.gs1.org/01/0952012345678", "check_digit"),  # GTIN-13 with a wrong digit
        ("https://id.gs1.org/01/12345", "bad_value"),
        ("https://id.gs1.org/01/ABCDEFGHIJKLMN", "bad_value"),
        ("https://id.gs1.org/01/09520123456788/21/12345/10/ABC", "qualifier_order"),
        ("https://id.gs1.org/01/09520123456788/10/A/22/B", "qualifier_order"),
        ("https://id.gs1.org/01/09520123456788/10", "no_primary_key"),  # odd path
        ("https://id.gs1.org/01/09520123456788/254/X", "no_primary_key"),  # not 01's qualifier
        ("https://id.gs1.org/01/09520123456788/", "trailing_slash"),
        ("https://id.gs1.org//01/09520123456788", "empty_segment"),
        ("https://a/01/12312312312333?99=ABC&999=faux", "unknown_ai"),
        ("https://a/01/12312312312333?17=2612", "bad_value"),
        ("https://a/01/12312312312333?17=261231&17=261231", "repeated_ai"),
        ("https://a/01/12312312312333/10/A?10=B", "repeated_ai"),
        ("https://a/01/12312312312333/10/%FF%FE", "bad_encoding"),
        ("https://a/01/12312312312333/10/" + "A" * 21, "bad_value"),  # X..20
        ("https://a/01/12312312312333/10/A'%20OR%201=1", "bad_value"),
        ("https://a/01/" + "1" * 3000, "too_long"),
        ("https://user@a/01/12312312312333", "not_http"),
    ],
)
def test_malformed_uris_are_refused_with_a_reason(uri, code):
    with pytest.raises(dl.DigitalLinkError) as caught:
        dl.parse(uri)
    assert caught.value.code == code


def test_markup_characters_are_valid_gs1_values_and_stay_data():
    # < > " ' are in GS1's character set 82: the parser keeps them; pages escape them.
    link = dl.parse("https://a/01/12312312312333/10/%3Cb%3E%22x%27")
    assert link.lot == "<b>\"x'"
    assert link.uri() == "https://a/01/12312312312333/10/%3Cb%3E%22x%27"


def test_check_digit():
    assert dl.check_digit("0952012345678") == "8"
    assert dl.has_valid_check_digit("09520123456788")
    assert not dl.has_valid_check_digit("09520123456789")
