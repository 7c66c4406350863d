"""The traceability app's starting reference data: a pack-out factor per crop, read from
data/pack_out_factors.json (loaded by migration 0002 and by `agritrace demo --reset`)."""

import json
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "pack_out_factors.json"


def load_pack_out_factors(apps=None) -> int:
    """Every crop of the catalogue gets the data file's factor (1.0 unless set there), with
    its source: no official figure is known, the authority sets its own. Factors already set
    are kept. Returns how many were added."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    data = json.loads(DATA.read_text(encoding="utf-8"))
    Crop = apps.get_model("registry", "Crop")
    PackOutFactor = apps.get_model("trace", "PackOutFactor")
    added = 0
    for crop in Crop.objects.all():
        _factor, created = PackOutFactor.objects.get_or_create(
            crop=crop,
            defaults={
                "factor": Decimal(str(data["factors"].get(crop.code, data["default"]))),
                "source": data["source"],
            },
        )
        added += created
    return added
