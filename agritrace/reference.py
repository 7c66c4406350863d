"""The reference data every AgriTrace database starts with, as the data migrations load it:
Vietnam's administrative units, the registry's catalogue (crops, markets, code formats…), the
farm-input catalogue, the supervision catalogue, the pack-out factors and the products
(kinds and processing relations). Each loader is
idempotent and works in bulk; `demo --reset` and the transactional tests (after their flush)
load it again through here."""


def load_reference_data() -> None:
    from agritrace.diary.catalogue import load_inputs
    from agritrace.misuse.rules import load_rules
    from agritrace.places.abbreviations import load_known
    from agritrace.places.loader import load_units
    from agritrace.products.catalogue import load_products
    from agritrace.registry.catalogue import load_catalogue
    from agritrace.supervision.catalogue import load_supervision_catalogue
    from agritrace.trace.catalogue import load_pack_out_factors

    # in the order of the data migrations
    load_units()
    load_known()
    load_catalogue()
    load_products()
    load_inputs()
    load_supervision_catalogue()
    load_pack_out_factors()
    load_rules()
