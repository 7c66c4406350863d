"""Loading the product catalogue (data/products.json) into the crop catalogue, the product
kinds and the processing relations. Idempotent: rows are updated, none deleted; a ratio the
authority has set is kept (the file's null never overwrites it)."""

import json
from functools import lru_cache
from pathlib import Path

PRODUCTS = Path(__file__).parent / "data" / "products.json"


@lru_cache(maxsize=1)
def data() -> dict:
    return json.loads(PRODUCTS.read_text(encoding="utf-8"))


def minimum_data_items() -> list[dict]:
    """The checklist of 002's minimum data per product (key, number, vi, en)."""
    return data()["minimum_data"]["items"]


def load_products(apps=None) -> dict[str, int]:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Crop = apps.get_model("registry", "Crop")
    Product = apps.get_model("products", "Product")
    Relation = apps.get_model("products", "ProcessingRelation")
    counts = {"products": 0, "relations": 0}
    for p in data()["products"]:
        crop = Crop.objects.filter(code=p["code"]).first()
        if crop is None:
            crop = Crop.objects.create(
                code=p["code"],
                name_vi=p["name_vi"],
                name_en=p["name_en"],
                scientific_name=p["scientific_name"],
            )
        Product.objects.update_or_create(
            crop=crop,
            defaults={"kind": p["kind"], "note": p["note"], "source": p["source"]},
        )
        counts["products"] += 1
    for r in data()["relations"]:
        relation, made = Relation.objects.get_or_create(
            input=Crop.objects.get(code=r["input"]),
            output=Crop.objects.get(code=r["output"]),
            defaults={"ratio": r["ratio"], "source": r["source"]},
        )
        if not made and r["ratio"] is not None:
            relation.ratio, relation.source = r["ratio"], r["source"]
            relation.save(update_fields=["ratio", "source"])
        counts["relations"] += 1
    return counts
