"""An area's measured size: the sum of its plots' measured surfaces, stored on the area."""

from __future__ import annotations

from decimal import Decimal

from .models import PlantingArea


def measure_area(area: PlantingArea | None) -> None:
    """Store the area's measured hectares from its plots (nothing for no area)."""
    if area is None:
        return
    total = sum(p.area_m2 for p in area.plots.all())
    area.measured_area_ha = Decimal(str(round(total / 10_000, 4)))
    area.save(update_fields=["measured_area_ha", "updated_at"])
