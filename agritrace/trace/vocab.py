"""CBV 2.0 standard vocabulary and the URI forms of EPCIS values.

EPCIS 2.0 JSON-LD writes standard vocabulary as bare words ("shipping"); the same value may come
as a CBV URN (urn:epcglobal:cbv:bizstep:shipping), a GS1 Web URI
(https://ref.gs1.org/cbv/BizStep-shipping) or a CURIE (cbv:BizStep-shipping). `full()` turns any
of them into the Web URI, `compact()` into the bare word; a value outside the CBV stays as it is.
Stored columns use the compact form, so that a query may use any spelling.
"""

import re

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"
EPCIS_NS = "https://ref.gs1.org/epcis/"

#: Prefixes every EPCIS 2.0 JSON-LD document knows (from the standard context).
STANDARD_PREFIXES = {"cbv": CBV, "gs1": GS1_VOC, "epcis": EPCIS_NS}

#: The standard JSON-LD contexts (a document naming only these adds no namespaces of its own).
STANDARD_CONTEXTS = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    "https://id.gs1.org/epcis-context.jsonld",
}

BIZ_STEPS = frozenset(
    """accepting arriving assembling collecting commissioning consigning creating_class_instance
    cycle_counting decommissioning departing destroying disassembling dispensing encoding
    entering_exiting holding inspecting installing killing loading other packing picking
    receiving removing repackaging repairing replacing reserving retail_selling sampling
    sensor_reporting shipping staging_outbound stock_taking stocking storing transporting
    unloading unpacking void_shipping""".split()
)
DISPOSITIONS = frozenset(
    """active available completeness_inferred completeness_verified conformant container_closed
    container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
    inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement no_pedigree_match
    non_conformant non_sellable_other partially_dispensed recalled reserved retail_sold returned
    sellable_accessible sellable_not_accessible stolen unavailable unknown""".split()
)
BIZ_TRANSACTION_TYPES = frozenset(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt".split()
)
SOURCE_DEST_TYPES = frozenset(["owning_party", "possessing_party", "location"])
ERROR_REASONS = frozenset(["did_not_occur", "incorrect_data"])
SENSOR_EXCEPTIONS = frozenset(["ALARM_CONDITION", "ERROR_CONDITION"])
COMPONENTS = frozenset(
    """x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting
    northing latitude longitude altitude""".split()
)

#: kind → (Web URI prefix, URN prefix, the bare words)
KINDS: dict[str, tuple[str, str, frozenset[str]]] = {
    "bizStep": (CBV + "BizStep-", "urn:epcglobal:cbv:bizstep:", BIZ_STEPS),
    "disposition": (CBV + "Disp-", "urn:epcglobal:cbv:disp:", DISPOSITIONS),
    "btt": (CBV + "BTT-", "urn:epcglobal:cbv:btt:", BIZ_TRANSACTION_TYPES),
    "sdt": (CBV + "SDT-", "urn:epcglobal:cbv:sdt:", SOURCE_DEST_TYPES),
    "reason": (CBV + "ER-", "urn:epcglobal:cbv:er:", ERROR_REASONS),
}

#: Old CBV URNs → GS1 Web URI prefixes, whatever the field (CBV 2.0 section 8).
URN_TO_WEB = {urn: web for web, urn, _words in KINDS.values()}

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")


def is_uri(value: str) -> bool:
    """An absolute URI (or a CURIE, which JSON-LD reads as one): a scheme, a colon, no spaces."""
    return bool(_SCHEME.match(value))


def full(kind: str, value: str) -> str:
    """The GS1 Web URI of a CBV value of `kind`; other values unchanged."""
    value = value.strip()
    web, urn, words = KINDS[kind]
    if value in words:
        return web + value
    if value.startswith(urn):
        return web + value[len(urn) :]
    if value.startswith("cbv:"):
        return CBV + value[4:]
    return value


def compact(kind: str, value: str) -> str:
    """The bare CBV word for a CBV value of `kind` in any spelling; other values unchanged."""
    value = full(kind, value)
    web = KINDS[kind][0]
    if value.startswith(web) and value[len(web) :] in KINDS[kind][2]:
        return value[len(web) :]
    return value


def is_known(kind: str, value: str) -> bool:
    """A CBV word of `kind` (in any spelling) or some other absolute URI."""
    return compact(kind, value) in KINDS[kind][2] or is_uri(value)
