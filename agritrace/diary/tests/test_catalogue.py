"""The starting input catalogue loaded by the data migration: valid, sourced, honest."""

import pytest

from agritrace.diary.catalogue import load_inputs
from agritrace.diary.models import (
    ActiveIngredient,
    CropYield,
    Fertiliser,
    MarketIngredientRule,
    Pesticide,
    PesticidePHI,
)

pytestmark = pytest.mark.django_db

MODELS = (ActiveIngredient, Pesticide, PesticidePHI, Fertiliser, MarketIngredientRule, CropYield)


def test_every_row_is_valid_and_sourced():
    for model in MODELS:
        rows = list(model.objects.all())
        assert rows, model
        for row in rows:
            row.full_clean()
            assert row.source.strip(), row


def test_bans_name_their_decision_and_date():
    banned = ActiveIngredient.objects.filter(banned_in_vietnam=True)
    assert {"Carbendazim", "Benomyl", "Thiophanate-methyl", "Paraquat", "Glyphosate"} <= set(
        banned.values_list("name", flat=True)
    )
    for ingredient in banned:
        assert "QĐ-BNN-BVTV" in ingredient.source and "http" in ingredient.source
        assert ingredient.banned_from is not None


def test_demo_products_say_so():
    for product in Pesticide.objects.all():
        assert product.trade_name.startswith("Demo ")
        assert "demo" in product.source.lower()
    for phi in PesticidePHI.objects.all():
        assert "demo value" in phi.source


def test_loading_again_changes_nothing():
    counts = [m.objects.count() for m in MODELS]
    load_inputs()
    assert [m.objects.count() for m in MODELS] == counts
