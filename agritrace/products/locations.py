"""Processing facilities and production units as EPCIS locations of the service's namespace:
`urn:agritrace:loc:facility:<identifier>` and `urn:agritrace:loc:unit:<identifier>`, resolved
at capture (trace.services._Locations) so that their events take the facility's or unit's
province and are not flagged as unknown locations."""

from collections.abc import Iterable

from .models import ProcessingFacility, ProductionUnit

FACILITY, UNIT = "facility:", "unit:"


def resolve(codes: Iterable[str]) -> dict[str, object]:
    """{location code: facility or unit (with its commune and province loaded)} of the codes
    that name one; codes of other holders are left out."""
    codes = set(codes)
    facilities = {c[len(FACILITY) :] for c in codes if c.startswith(FACILITY)}
    units = {c[len(UNIT) :] for c in codes if c.startswith(UNIT)}
    found: dict[str, object] = {}
    if facilities:
        for f in ProcessingFacility.objects.select_related("commune__parent").filter(
            identifier__in=facilities
        ):
            found[FACILITY + f.identifier] = f
    if units:
        for u in ProductionUnit.objects.select_related("commune__parent").filter(
            identifier__in=units
        ):
            found[UNIT + u.identifier] = u
    return found
