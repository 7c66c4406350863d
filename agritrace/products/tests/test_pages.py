"""The products pages: the catalogue, registering a facility, recording a processing and the
output lot's trace page with the plan's minimum data."""

import pytest

from agritrace.products.models import ProcessingFacility
from agritrace.trace.models import Event
from agritrace.trace.tests.conftest import session_client

from .conftest import harvest, receive

pytestmark = pytest.mark.django_db


def test_catalogue_page_lists_products_relations_and_the_checklist(chain):
    page = session_client(chain.world, "ppo").get("/products/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "dong-vermicelli" in text and "002_6ca3bb986dbac139.txt" in text


def test_officer_registers_a_facility_on_the_page(chain):
    world = chain.world
    client = session_client(world, "ppo")
    assert 'id="facility-form"' in client.get("/products/facilities/").content.decode()
    answer = client.post(
        "/products/facilities/",
        {
            "name": "Xưởng gạo",
            "address": "Bản Mới",
            "commune": world.communes[0].pk,
            "capacity_t_per_day": "3",
            "operator": chain.processor.pk,
            "products": ["milled-rice"],
        },
    )
    assert answer.status_code == 302
    assert ProcessingFacility.objects.filter(name="Xưởng gạo", code=None).exists()
    refused = client.post("/products/facilities/", {"name": "x"})
    assert refused.status_code == 200 and "has-error" in refused.content.decode()


def test_a_coop_sees_the_list_but_may_not_register(chain):
    client = session_client(chain.world, "coop")
    page = client.get("/products/facilities/")
    assert page.status_code == 200 and 'id="facility-form"' not in page.content.decode()
    assert client.post("/products/facilities/", {"name": "x"}).status_code == 403


def _post(client, chain, lot: str, kg_out: str):
    return client.post(
        "/products/processing/",
        {
            "facility": chain.facility.pk,
            "product": "dried-tea",
            "inputs[0].lot": lot,
            "inputs[0].quantity": "1000",
            "inputs[0].unit": "KGM",
            "inputs[1].unit": "KGM",
            "inputs[2].unit": "KGM",
            "output_quantity": kg_out,
            "output_unit": "KGM",
        },
    )


def test_processor_records_a_processing_and_sees_its_minimum_data(chain):
    lot = harvest(chain)
    receive(chain, lot)
    client = session_client(chain.world, "processor")
    assert client.get("/products/processing/").status_code == 200
    refused = _post(client, chain, lot, "500")
    assert refused.status_code == 200
    assert 'id="id_output_quantity_error"' in refused.content.decode()
    assert not Event.objects.filter(event_type="TransformationEvent").exists()
    done = _post(client, chain, lot, "240")
    assert done.status_code == 302, done.content.decode()[:2000]
    trace = client.get(done["Location"])
    text = trace.content.decode()
    assert 'id="minimum-data"' in text and 'data-key="stamp" data-complete="false"' in text
    assert 'data-key="origin" data-complete="true"' in text


def test_only_processors_record_processing_on_the_page(chain):
    assert session_client(chain.world, "packing").get("/products/processing/").status_code == 403
    assert session_client(chain.world, "ppo").get("/products/processing/").status_code == 403
