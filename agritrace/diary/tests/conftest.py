"""Fixtures of the diary tests: a durian area of two households (one of which logs in as
world.users["household"]), its plots of about one hectare each, and the starting catalogue's
demo products."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agritrace.diary import services
from agritrace.diary.models import Fertiliser, Pesticide
from agritrace.registry.models import Household, PlantingArea, Plot
from conftest import make_area


@dataclass
class Farm:
    world: object
    area: PlantingArea
    own: Household  # the household that logs in (world.users["household"])
    neighbour: Household
    plot: Plot  # the logged-in household's plot
    neighbour_plot: Plot

    def actor(self, key: str):
        return self.world.actor(key)


@pytest.fixture
def farm(world) -> Farm:
    area, _app = make_area(world, households=2)
    plots = list(area.plots.order_by("label"))
    own, neighbour = plots[0].household, plots[1].household
    own.organisation = world.orgs["household"]
    own.save()
    return Farm(world, area, own, neighbour, plots[0], plots[1])


@pytest.fixture
def products(db) -> dict:
    """The demo products of the starting catalogue, by a short name."""
    names = {
        "azoxy": "Demo Azoxystrobin 250SC",  # liquid, PHI 14 d on durian, max 0.5 l/ha
        "abamectin": "Demo Abamectin 36EC",  # liquid, PHI 7 d, max 1 ml per litre of water
        "imidacloprid": "Demo Imidacloprid 100SL",  # not allowed for the EU
        "metalaxyl": "Demo Metalaxyl 35WP",  # powder, max 2 kg/ha
        "carbendazim": "Demo Carbendazim 500SC",  # banned
        "unregistered": "Demo Unregistered Import 10WP",
    }
    found = {key: Pesticide.objects.get(trade_name=name) for key, name in names.items()}
    found["urea"] = Fertiliser.objects.get(name="Urea (46% N)")  # granules
    found["foliar"] = Fertiliser.objects.get(name="Demo foliar fertiliser (liquid)")
    return found


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def spray(actor, plot, product, days: int, quantity="0.3", unit="LTR", **extra):
    return services.record_entry(
        actor,
        {
            "kind": "spraying",
            "date": days_ago(days),
            "plot": plot.pk,
            "pesticide": product.pk,
            "quantity": quantity,
            "unit": unit,
            **extra,
        },
    )


def harvest(actor, plot, days: int, kg="500", **extra):
    return services.record_entry(
        actor,
        {
            "kind": "harvest",
            "date": days_ago(days),
            "plot": plot.pk,
            "quantity": kg,
            "unit": "KGM",
            **extra,
        },
    )


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client
