"""Residue limits, samples and lab results name active ingredients of the diary's input
catalogue: names are matched (any case, known synonyms), unknown ones are refused, the
limits are unique per market, crop and ingredient, and the migration maps free-text rows."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from agritrace.diary.models import ActiveIngredient
from agritrace.registry.models import Crop, Market
from agritrace.supervision import services
from agritrace.supervision.catalogue import ADDED_SOURCE, ingredient_for
from agritrace.supervision.models import ResidueLimit

from .conftest import days
from .test_residues import register, result


def test_names_are_matched_to_the_catalogue(db):
    chlorpyrifos = ActiveIngredient.objects.get(name="Chlorpyrifos ethyl")
    assert services.find_ingredient("  CHLORPYRIFOS ") == chlorpyrifos
    assert services.find_ingredient("chlorpyrifos ethyl") == chlorpyrifos
    assert services.find_ingredient(str(chlorpyrifos.pk)) == chlorpyrifos
    assert services.find_ingredient("chlorpyrifos-methyl") is None  # another substance
    assert services.find_ingredient("*") is None


def test_the_starting_limits_point_at_the_catalogue(db):
    limits = ResidueLimit.objects.select_related("ingredient", "market", "crop")
    assert limits.count() == 8
    eu_default = limits.get(market__code="EU", ingredient=None)
    assert eu_default.ingredient_name == "*" and eu_default.mrl_mg_kg == Decimal("0.01")
    cn = {r.ingredient.name for r in limits.filter(market__code="CN", crop__code="durian")}
    assert cn == {"Chlorpyrifos ethyl", "Cypermethrin", "Carbendazim", "Metalaxyl", "Hexaconazole"}
    # Cypermethrin was not in the input catalogue: added, saying where it came from.
    assert ActiveIngredient.objects.get(name="Cypermethrin").source == ADDED_SOURCE


def test_one_limit_per_market_crop_and_ingredient(db):
    eu = Market.objects.get(code="EU")
    durian = Crop.objects.get(code="durian")
    ai = ActiveIngredient.objects.get(name="Azoxystrobin")
    ResidueLimit.objects.create(market=eu, crop=durian, ingredient=ai, mrl_mg_kg="0.1")
    ResidueLimit.objects.create(market=eu, crop=None, ingredient=ai, mrl_mg_kg="0.2")
    ResidueLimit.objects.create(market=eu, crop=durian, ingredient=None, mrl_mg_kg="0.01")
    for crop, ingredient in ((durian, ai), (None, ai), (durian, None), (None, None)):
        with pytest.raises(IntegrityError), transaction.atomic():
            ResidueLimit.objects.create(market=eu, crop=crop, ingredient=ingredient, mrl_mg_kg="1")
    assert services.limit_for(eu, durian.pk, ai).mrl_mg_kg == Decimal("0.1")
    assert services.limit_for(eu, durian.pk, "Abamectin").mrl_mg_kg == Decimal("0.01")
    assert services.limit_for(eu, 0, "Abamectin").mrl_mg_kg == Decimal("0.01")  # EU's '*'


def test_an_analysis_outside_the_catalogue_is_refused(world, area):
    with pytest.raises(ValidationError) as exc:
        register(world, area, analyses=["chlorpyrifos", "made-up-cide"])
    assert "made-up-cide" in exc.value.message_dict["analyses"][0]
    sample = register(world, area, analyses=["CHLORPYRIFOS", "Chlorpyrifos ethyl", "cadmium"])
    assert sample.analyses == ["Chlorpyrifos ethyl", "Cadmium"]


def test_a_result_names_a_requested_catalogue_ingredient(world, area):
    sample = register(world, area, analyses=["chlorpyrifos"])
    with pytest.raises(ValidationError) as exc:
        services.enter_result(world.actor("lab"), sample, result("made-up-cide"))
    assert "ingredient" in exc.value.message_dict
    ai = ActiveIngredient.objects.get(name="Chlorpyrifos ethyl")
    res, cases = services.enter_result(world.actor("lab"), sample, result(str(ai.pk), "0.01"))
    assert res.ingredient == ai and cases == []


def test_the_api_gives_names_and_ids(world, area):
    client = Client()
    client.force_login(world.users["lab"])
    limits = client.get("/api/supervision/limits", {"ingredient": "chlorpyrifos"}).json()
    ai = ActiveIngredient.objects.get(name="Chlorpyrifos ethyl")
    assert {(r["market"]["code"], r["ingredient"], r["ingredient_id"]) for r in limits} == {
        ("EU", "*", None),
        ("EU", "Chlorpyrifos ethyl", ai.pk),
        ("CN", "Chlorpyrifos ethyl", ai.pk),
    }
    sample = register(world, area, analyses=["chlorpyrifos"])
    r = client.post(
        f"/api/supervision/samples/{sample.pk}/results",
        {"ingredient": "Chlorpyrifos", "value_mg_kg": "0.3", "analysed_on": days(0).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["result"]["ingredient"] == "Chlorpyrifos ethyl"
    assert body["result"]["ingredient_id"] == ai.pk
    assert body["cases"][0]["ingredient"] == "Chlorpyrifos ethyl"


def test_ingredient_for_adds_a_missing_name_once(db):
    cache: dict = {}
    added = ingredient_for(ActiveIngredient, "spinetoram", cache)
    assert added.name == "Spinetoram" and added.source == ADDED_SOURCE
    assert ingredient_for(ActiveIngredient, "SPINETORAM", cache) == added
    assert ingredient_for(ActiveIngredient, "*", cache) is None
    assert ingredient_for(ActiveIngredient, "nothing", {}, create=False) is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_free_text_rows():
    """Back to the free-text tables, rows written as before, then forward again."""
    executor = MigrationExecutor(connection)
    executor.migrate([("supervision", "0002_catalogue")])
    old = (
        MigrationExecutor(connection).loader.project_state([("supervision", "0002_catalogue")]).apps
    )
    Limit = old.get_model("supervision", "ResidueLimit")
    market = old.get_model("registry", "Market").objects.get(code="CN")
    Limit.objects.all().delete()
    Limit.objects.create(market=market, ingredient="*", mrl_mg_kg="0.01")
    Limit.objects.create(market=market, ingredient="chlorpyrifos", mrl_mg_kg="0.05")
    Limit.objects.create(market=market, ingredient="metalaxyl", mrl_mg_kg="0.5")
    Limit.objects.create(market=market, ingredient="fluopicolide", mrl_mg_kg="0.3")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {
        (r.ingredient_name, r.mrl_mg_kg)
        for r in ResidueLimit.objects.filter(market__code="CN", crop=None)
    }
    assert rows == {
        ("*", Decimal("0.01")),
        ("Chlorpyrifos ethyl", Decimal("0.05")),
        ("Metalaxyl", Decimal("0.5")),
        ("Fluopicolide", Decimal("0.3")),
    }
    assert ActiveIngredient.objects.get(name="Fluopicolide").source == ADDED_SOURCE
    # the starting limits are back, alongside
    assert ResidueLimit.objects.filter(market__code="CN", crop__code="durian").count() == 5
