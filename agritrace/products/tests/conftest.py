"""A small product chain: a tea area of the cooperative (issued code), a processor with a
processing facility in the same province, and helpers to harvest and receive lots."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.products import registration
from agritrace.products.models import ProcessingFacility, ProcessingRelation
from agritrace.registry.models import Crop, PlantingArea, Plot
from agritrace.trace import builders, recording, services
from conftest import make_area, make_user

AREA_CODE = "VN-DLOR-0301"


@dataclass
class Chain:
    world: object
    area: PlantingArea
    processor: Organisation
    facility: ProcessingFacility
    tea: Crop
    dried: Crop


def make_chain(world, ratio: str | None = "0.25") -> Chain:
    tea, dried = Crop.objects.get(code="tea"), Crop.objects.get(code="dried-tea")
    area, _app = make_area(world)
    PlantingArea.objects.filter(pk=area.pk).update(
        code=AREA_CODE, code_status="issued", crop=tea, variety=None
    )
    Plot.objects.filter(area=area).update(crop=tea)
    area.refresh_from_db()
    processor = Organisation.objects.create(
        name="Cơ sở chế biến chè Tam Đường", kind=OrgKind.PROCESSOR, unit=world.communes[0]
    )
    world.orgs["processor"] = processor
    world.users["processor"] = make_user("processor_user", processor)
    facility = registration.register_facility(
        world.actor("ppo"),
        {
            "name": "Xưởng chè Tam Đường",
            "address": "Bản Nà Tăm",
            "commune": world.communes[0].pk,
            "capacity_t_per_day": "5",
            "operator": processor.pk,
            "code": "LC-CB-001",
            "products": ["dried-tea"],
        },
    )
    if ratio is not None:
        ProcessingRelation.objects.filter(input=tea, output=dried).update(
            ratio=Decimal(ratio), source="test value, not a regulatory figure"
        )
    return Chain(world, area, processor, facility, tea, dried)


@pytest.fixture
def chain(world) -> Chain:
    return make_chain(world)


def harvest(chain: Chain, code: str = "H-1", kg: str = "1000") -> str:
    """A harvest lot of the tea area, recorded by the cooperative; its URI."""
    lot = services.lot_uri(chain.area.code, code)
    day = timezone.localdate()
    built = builders.harvest(
        area=chain.area,
        lot=lot,
        harvest_date=day,
        amount=Decimal(kg),
        uom="KGM",
        plots=list(chain.area.plots.all()),
        households=list(chain.area.households.all()),
        moment=timezone.now() - timezone.timedelta(hours=5),
    )
    recording.capture(chain.world.actor("coop"), [built])
    return lot


def receive(chain: Chain, lot: str, kg: str = "1000") -> None:
    """The facility receives the lot (its own receiving event: it then holds it)."""
    from agritrace.products.processing import facility_location

    built = builders.receiving(
        lots=[(lot, Decimal(kg), "KGM", "lot_0_")],
        location=facility_location(chain.facility),
        moment=timezone.now() - timezone.timedelta(hours=3),
        receiver=chain.processor,
    )
    recording.capture(chain.world.actor("processor"), [built])
