"""The identifiers this service writes in its own namespace (locations and lots of codes
without a GTIN), shared by capture, the checks and the forms."""

from django.conf import settings

ID_BASE = getattr(settings, "AGRITRACE_TRACE_ID_BASE", "urn:agritrace:")


def location_uri(code: str) -> str:
    """The EPCIS location (read point / business location) of a planting area, plot or packing
    house, by its code."""
    return f"{ID_BASE}loc:{code}"


def lot_uri(owner_code: str, lot: str) -> str:
    """A class-level lot identifier of this service's namespace, for produce without a GTIN."""
    return f"{ID_BASE}lot:{owner_code}:{lot}"
