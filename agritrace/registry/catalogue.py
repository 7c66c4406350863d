"""Loading the starting catalogue (crops, markets, market rules, code formats, province
abbreviations) from data/catalogue.json. Idempotent: existing rows are updated, none deleted,
so the authority's own edits to other rows survive."""

import json
from pathlib import Path

CATALOGUE = Path(__file__).parent / "data" / "catalogue.json"


def load_catalogue(apps=None) -> dict[str, int]:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Crop = apps.get_model("registry", "Crop")
    Variety = apps.get_model("registry", "Variety")
    Market = apps.get_model("registry", "Market")
    MarketRule = apps.get_model("registry", "MarketRule")
    CodeFormat = apps.get_model("registry", "CodeFormat")
    AdminUnit = apps.get_model("places", "AdminUnit")
    ProvinceAbbreviation = apps.get_model("places", "ProvinceAbbreviation")

    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    counts = {"crops": 0, "markets": 0, "rules": 0, "abbreviations": 0}
    for c in data["crops"]:
        crop, _ = Crop.objects.update_or_create(
            code=c["code"],
            defaults={k: c[k] for k in ("name_vi", "name_en", "scientific_name")},
        )
        for name in c.get("varieties", []):
            Variety.objects.get_or_create(crop=crop, name=name)
        counts["crops"] += 1
    for m in data["markets"]:
        Market.objects.update_or_create(
            code=m["code"],
            defaults={
                "name_vi": m["name_vi"],
                "name_en": m["name_en"],
                "needs_importer_approval": m["needs_importer_approval"],
                "requirements": m.get("requirements", ""),
                "source": m.get("source", "unknown"),
                "source_date": m.get("source_date"),
            },
        )
        counts["markets"] += 1
    for r in data["market_rules"]:
        market = Market.objects.get(code=r["market"])
        crop = Crop.objects.get(code=r["crop"]) if r.get("crop") else None
        MarketRule.objects.update_or_create(
            market=market,
            crop=crop,
            defaults={
                "min_area_ha": r.get("min_area_ha"),
                "single_variety": r.get("single_variety", False),
                "required_certificates": r.get("required_certificates", []),
                "note": r.get("note", ""),
                "source": r.get("source", "unknown"),
                "source_date": r.get("source_date"),
            },
        )
        counts["rules"] += 1
    for f in data["code_formats"]:
        CodeFormat.objects.update_or_create(
            kind=f["kind"],
            defaults={
                "template": f["template"],
                "kind_segment": f["kind_segment"],
                "source": f.get("source", "unknown"),
            },
        )
    for a in data["province_abbreviations"]:
        province = AdminUnit.objects.filter(
            tree="2025", level="province", name__icontains=a["province"]
        ).first()
        if province is None:
            continue
        ProvinceAbbreviation.objects.update_or_create(
            province=province,
            active=True,
            defaults={
                "abbreviation": a["abbreviation"],
                "source": a["source"],
                "source_date": a.get("source_date"),
            },
        )
        counts["abbreviations"] += 1
    return counts
