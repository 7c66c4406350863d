"""Loading supervision's regulatory data (checklist templates, season calendars, pests and
the quarantine pests per market, residue limits) from data/*.json. Idempotent: rows are
matched on their natural keys and updated, none deleted, so the authority's own rows stay.

Residue limits name their active ingredient from the diary's input catalogue
(diary.ActiveIngredient), matched by name; a name the catalogue does not hold is added to it
with an honest source ('unknown'), for the authority to complete."""

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"

#: Other names of a catalogue ingredient (lower case). Chlorpyrifos is chlorpyrifos-ethyl
#: (CAS 2921-88-2); chlorpyrifos-methyl is another substance and is not matched.
SYNONYMS = {"chlorpyrifos": "chlorpyrifos ethyl", "chlorpyrifos-ethyl": "chlorpyrifos ethyl"}
ADDED_SOURCE = (
    "unknown — named in a residue limit or a laboratory result before it was in the input "
    "catalogue; to be completed by the authority"
)


def _key(name) -> str:
    return " ".join(str(name or "").split()).lower()


def ingredient_for(Ingredient, name, cache: dict | None = None, create: bool = True):
    """The catalogue ingredient called `name` (any case, or a known synonym); None for '*'
    or an empty name. Missing: added (create=True) or None. `Ingredient` is the model, the
    historical one in a migration."""
    key = _key(name)
    if key in ("", "*"):
        return None
    if cache is None:
        cache = {}
    if not cache:
        cache.update({_key(i.name): i for i in Ingredient.objects.all()})
    for candidate in (key, SYNONYMS.get(key)):
        if candidate and candidate in cache:
            return cache[candidate]
    if not create:
        return None
    added = Ingredient.objects.create(
        name=key[:1].upper() + key[1:],
        source=ADDED_SOURCE,
        note="Added when residue limits and results were linked to the input catalogue.",
    )
    cache[key] = added
    return added


def _read(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load_supervision_catalogue(apps=None, limits: bool = True) -> dict[str, int]:
    """limits=False leaves the residue limits out (the first data migration, made before
    limits named catalogue ingredients)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    get = apps.get_model
    Crop, Market = get("registry", "Crop"), get("registry", "Market")
    Template, Item = get("supervision", "ChecklistTemplate"), get("supervision", "ChecklistItem")
    Season = get("supervision", "SeasonCalendar")
    Pest, MarketPest = get("supervision", "Pest"), get("supervision", "MarketPest")
    counts = {"templates": 0, "items": 0, "seasons": 0, "pests": 0, "market_pests": 0, "mrl": 0}

    for t in _read("checklists.json")["templates"]:
        template, _c = Template.objects.update_or_create(
            kind=t["kind"],
            version=t["version"],
            defaults={
                "name_en": t["name_en"],
                "name_vi": t["name_vi"],
                "source": t.get("source", "unknown"),
                "source_date": t.get("source_date"),
            },
        )
        counts["templates"] += 1
        for order, item in enumerate(t["items"]):
            Item.objects.update_or_create(
                template=template,
                key=item["key"],
                defaults={
                    "label_en": item["label_en"],
                    "label_vi": item["label_vi"],
                    "order": order,
                },
            )
            counts["items"] += 1

    crops = {c.code: c for c in Crop.objects.all()}
    markets = {m.code: m for m in Market.objects.all()}
    for s in _read("season_calendars.json")["calendars"]:
        Season.objects.update_or_create(
            crop=crops[s["crop"]],
            region=s["region"],
            label=s["label"],
            defaults={
                "provinces": s.get("provinces", []),
                "harvest_start_month": s["harvest_start_month"],
                "harvest_end_month": s["harvest_end_month"],
                "note": s.get("note", ""),
                "source": s.get("source", "unknown"),
                "source_date": s.get("source_date"),
            },
        )
        counts["seasons"] += 1

    data = _read("pests.json")
    pests = {}
    for p in data["pests"]:
        pests[p["key"]], _c = Pest.objects.update_or_create(
            key=p["key"],
            defaults={k: p.get(k, "") for k in ("name_en", "name_vi", "scientific_name", "kind")},
        )
        counts["pests"] += 1
    for mp in data["market_pests"]:
        MarketPest.objects.update_or_create(
            market=markets[mp["market"]],
            crop=crops[mp["crop"]],
            pest=pests[mp["pest"]],
            defaults={"source": mp.get("source", "unknown"), "source_date": mp.get("source_date")},
        )
        counts["market_pests"] += 1

    if limits:
        counts["mrl"] = load_residue_limits(apps)
    return counts


def load_residue_limits(apps=None) -> int:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Crop, Market = apps.get_model("registry", "Crop"), apps.get_model("registry", "Market")
    Limit = apps.get_model("supervision", "ResidueLimit")
    Ingredient = apps.get_model("diary", "ActiveIngredient")
    crops = {c.code: c for c in Crop.objects.all()}
    markets = {m.code: m for m in Market.objects.all()}
    cache: dict = {}
    n = 0
    for r in _read("mrl.json")["limits"]:
        Limit.objects.update_or_create(
            market=markets[r["market"]],
            crop=crops[r["crop"]] if r.get("crop") else None,
            ingredient=ingredient_for(Ingredient, r["ingredient"], cache),
            defaults={
                "mrl_mg_kg": r["mrl_mg_kg"],
                "is_demo": r.get("demo", False),
                "source": r.get("source", "unknown"),
                "source_date": r.get("source_date"),
            },
        )
        n += 1
    return n
