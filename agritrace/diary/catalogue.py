"""Loading the starting input catalogue from data/*.json (ingredients, pesticides with their
pre-harvest intervals, fertilisers, market rules, crop yields).

Idempotent: rows are matched by name (or by their pair of keys) and updated, none deleted, so
the authority's own rows survive. Used by the data migration, which passes its historical
`apps`; the sheet import (transfer.py) is the authority's way to change the catalogue later.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).parent / "data"


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_inputs(apps=None, files: list[Path] | None = None) -> dict[str, int]:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    get = apps.get_model
    ActiveIngredient = get("diary", "ActiveIngredient")
    Pesticide = get("diary", "Pesticide")
    PesticideIngredient = get("diary", "PesticideIngredient")
    PesticidePHI = get("diary", "PesticidePHI")
    Fertiliser = get("diary", "Fertiliser")
    MarketIngredientRule = get("diary", "MarketIngredientRule")
    CropYield = get("diary", "CropYield")
    Crop = get("registry", "Crop")
    Market = get("registry", "Market")

    counts = dict.fromkeys(
        ("ingredients", "pesticides", "phi", "fertilisers", "market_rules", "crop_yields"), 0
    )
    for path in files if files is not None else sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data.get("ingredients", []):
            ActiveIngredient.objects.update_or_create(
                name=row["name"],
                defaults={
                    "cas_number": row.get("cas_number", ""),
                    "banned_in_vietnam": row.get("banned_in_vietnam", False),
                    "banned_from": _date(row.get("banned_from")),
                    "note": row.get("note", ""),
                    "source": row["source"],
                    "source_date": _date(row.get("source_date")),
                },
            )
            counts["ingredients"] += 1
        for row in data.get("pesticides", []):
            pesticide, _created = Pesticide.objects.update_or_create(
                trade_name=row["trade_name"],
                defaults={
                    "registration_number": row.get("registration_number", ""),
                    "status": row["status"],
                    "form": row["form"],
                    "formulation": row.get("formulation", ""),
                    "source": row["source"],
                    "source_date": _date(row.get("source_date")),
                },
            )
            PesticideIngredient.objects.filter(pesticide=pesticide).delete()
            for name, concentration, unit in row["active_ingredients"]:
                PesticideIngredient.objects.create(
                    pesticide=pesticide,
                    ingredient=ActiveIngredient.objects.get(name=name),
                    concentration=_dec(concentration),
                    concentration_unit=unit,
                )
            for phi in row.get("phi", []):
                PesticidePHI.objects.update_or_create(
                    pesticide=pesticide,
                    crop=Crop.objects.get(code=phi["crop"]),
                    defaults={
                        "phi_days": phi["phi_days"],
                        "max_dose": _dec(phi.get("max_dose")),
                        "max_dose_unit": phi.get("max_dose_unit", ""),
                        "dose_basis": phi.get("dose_basis", "HAR"),
                        "source": phi["source"],
                        "source_date": _date(phi.get("source_date")),
                    },
                )
                counts["phi"] += 1
            counts["pesticides"] += 1
        for row in data.get("fertilisers", []):
            Fertiliser.objects.update_or_create(
                name=row["name"],
                defaults={
                    "kind": row["kind"],
                    "form": row["form"],
                    "n_percent": _dec(row.get("n", 0)),
                    "p_percent": _dec(row.get("p", 0)),
                    "k_percent": _dec(row.get("k", 0)),
                    "source": row["source"],
                    "source_date": _date(row.get("source_date")),
                },
            )
            counts["fertilisers"] += 1
        for row in data.get("market_rules", []):
            market = Market.objects.filter(code=row["market"]).first()
            if market is None:
                continue
            MarketIngredientRule.objects.update_or_create(
                market=market,
                ingredient=ActiveIngredient.objects.get(name=row["ingredient"]),
                defaults={
                    "allowed": row["allowed"],
                    "note": row.get("note", ""),
                    "source": row["source"],
                    "source_date": _date(row.get("source_date")),
                },
            )
            counts["market_rules"] += 1
        for row in data.get("crop_yields", []):
            crop = Crop.objects.filter(code=row["crop"]).first()
            if crop is None:
                continue
            CropYield.objects.update_or_create(
                crop=crop,
                defaults={
                    "tonnes_per_ha": _dec(row["tonnes_per_ha"]),
                    "source": row["source"],
                    "source_date": _date(row.get("source_date")),
                },
            )
            counts["crop_yields"] += 1
    return counts
