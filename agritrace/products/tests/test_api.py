"""The products API: catalogue, facilities (scoped like packing houses), processing with
field-named refusals, production units and their harvests, a lot's minimum-data check, and
the stamps of a processed lot scanned on the public page."""

import pytest

from agritrace.products.models import ProcessingFacility, ProductionUnit
from agritrace.stamps import services as stamps
from agritrace.trace.models import Event, Lot
from agritrace.trace.tests.conftest import bearer_client
from conftest import square

from .conftest import harvest, receive

pytestmark = pytest.mark.django_db


def _facility_body(world, **extra) -> dict:
    return {
        "name": "Xưởng miến dong",
        "address": "Bản Thẩm",
        "capacity_t_per_day": "2",
        "commune": world.communes[1].pk,
        "operator": world.orgs["processor"].pk,
        **extra,
    }


def test_catalogue_lists_every_product_of_the_plans_with_kind_and_source(client, db):
    body = client.get("/api/products/catalogue").json()
    kinds = {p["code"]: p["kind"] for p in body["products"]}
    for code in ("tea", "dried-tea", "rice", "milled-rice", "dong-starch", "dong-vermicelli"):
        assert code in kinds
    assert kinds["laichau-ginseng"] == "crop"
    assert {"forest", "fishery", "processed"} <= set(kinds.values())
    relations = {(r["input"], r["output"]): r for r in body["relations"]}
    assert relations[("dong-starch", "dong-vermicelli")]["ratio"] is None
    assert "configurable" in relations[("tea", "dried-tea")]["source"]
    assert [i["key"] for i in body["minimum_data"]] == ["participants", "origin", "stages", "stamp"]
    assert "002_6ca3bb986dbac139.txt" in body["minimum_data_source"]


def test_register_and_list_facilities_scoped_like_packing_houses(chain):
    world = chain.world
    ppo = bearer_client(world, "ppo")
    made = ppo.post(
        "/api/products/facilities", _facility_body(world), content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["code"] is None and made.json()["identifier"].endswith("-PF-0001")
    mine = bearer_client(world, "processor").get("/api/products/facilities").json()
    assert {f["name"] for f in mine} == {"Xưởng chè Tam Đường", "Xưởng miến dong"}
    # another province's office sees none of them; a coop only those with a province code
    assert bearer_client(world, "other_ppo").get("/api/products/facilities").json() == []
    coop = bearer_client(world, "coop").get("/api/products/facilities").json()
    assert [f["code"] for f in coop] == ["LC-CB-001"]
    missing = bearer_client(world, "other_ppo").get(f"/api/products/facilities/{made.json()['id']}")
    assert missing.status_code == 404


def test_a_facility_outside_the_officers_province_is_refused(chain):
    world = chain.world
    before = ProcessingFacility.objects.count()
    answer = bearer_client(world, "ppo").post(
        "/api/products/facilities",
        _facility_body(world, commune=world.other_commune.pk),
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert "commune" in answer.json()["errors"]
    assert ProcessingFacility.objects.count() == before


def test_a_wrong_role_may_not_register_a_facility_or_enter_its_code(chain):
    world = chain.world
    before = ProcessingFacility.objects.count()
    body = _facility_body(world)
    assert (
        bearer_client(world, "coop")
        .post("/api/products/facilities", body, content_type="application/json")
        .status_code
        == 403
    )
    own = bearer_client(world, "processor").post(
        "/api/products/facilities", {**body, "code": "X-1"}, content_type="application/json"
    )
    assert own.status_code == 422 and "code" in own.json()["errors"]
    assert ProcessingFacility.objects.count() == before


def _processing(chain, lot: str, kg_out: str = "240", product: str = "dried-tea"):
    return bearer_client(chain.world, "processor").post(
        "/api/products/processing",
        {
            "facility": chain.facility.pk,
            "product": product,
            "inputs": [{"lot": lot, "quantity": "1000"}],
            "output_quantity": kg_out,
        },
        content_type="application/json",
    )


def test_processing_over_the_ratio_is_a_422_naming_the_field(chain):
    lot = harvest(chain)
    receive(chain, lot)
    before = Event.objects.count()
    answer = _processing(chain, lot, kg_out="400")
    assert answer.status_code == 422
    assert "output_quantity" in answer.json()["errors"]
    unknown = _processing(chain, lot, product="caviar")
    assert unknown.status_code == 422 and "product" in unknown.json()["errors"]
    assert Event.objects.count() == before


def test_a_packing_house_may_not_record_a_facilitys_processing(chain):
    lot = harvest(chain)
    answer = bearer_client(chain.world, "packing").post(
        "/api/products/processing",
        {
            "facility": chain.facility.pk,
            "product": "dried-tea",
            "inputs": [{"lot": lot, "quantity": "1"}],
            "output_quantity": "1",
        },
        content_type="application/json",
    )
    assert answer.status_code == 403


def test_processed_lot_is_complete_once_stamped_and_scans_with_its_stages(chain, client):
    world = chain.world
    lot = harvest(chain)
    receive(chain, lot)
    made = _processing(chain, lot)
    assert made.status_code == 201, made.content
    out = made.json()["lot"]
    api = bearer_client(world, "processor")
    before = api.get("/api/products/lots/completeness", {"uri": out}).json()
    assert before["product"] == "dried-tea"
    by_key = {i["key"]: i for i in before["items"]}
    assert by_key["participants"]["complete"] and by_key["origin"]["complete"]
    assert by_key["stages"]["complete"], by_key["stages"]
    assert not by_key["stamp"]["complete"] and not before["complete"]
    batch = stamps.request_stamps(world.actor("processor"), out, 2)
    after = api.get("/api/products/lots/completeness", {"uri": out}).json()
    assert after["complete"], after
    uri = stamps.stamp_uri(batch.stamps.first(), batch)
    page = client.get("/" + uri.split("/", 3)[3])
    text = page.content.decode()
    assert page.status_code == 200, text[:500]
    assert "Chè khô" in text or "Dried tea" in text
    assert "LC-CB-001" in text and "VN-DLOR-0301" in text
    # out of scope: another province's office does not see the lot
    assert (
        bearer_client(world, "other_ppo")
        .get("/api/products/lots/completeness", {"uri": out})
        .status_code
        == 404
    )


def test_a_fishpond_is_a_lots_origin(chain):
    world = chain.world
    coop = bearer_client(world, "coop")
    made = coop.post(
        "/api/products/units",
        {
            "kind": "fishpond",
            "identifier": "AO-001",
            "name": "Ao cá bản Nà",
            "product": "farmed-fish",
            "geometry": {"type": "Point", "coordinates": [108.05, 12.67]},
            "commune": world.communes[0].pk,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    forest = coop.post(
        "/api/products/units",
        {
            "kind": "forest_plot",
            "identifier": "TK12-K3-L5",
            "name": "Lô rừng 5",
            "product": "forest-product",
            "geometry": square(108.06, 12.68, 200),
            "commune": world.communes[0].pk,
        },
        content_type="application/json",
    )
    assert forest.status_code == 201 and forest.json()["area_m2"] > 30000
    unit = ProductionUnit.objects.get(identifier="AO-001")
    harvested = coop.post(
        f"/api/products/units/{unit.pk}/harvests",
        {"quantity": "80"},
        content_type="application/json",
    )
    assert harvested.status_code == 201, harvested.content
    lot = Lot.objects.get(uri=harvested.json()["lot"])
    assert lot.crop.code == "farmed-fish"
    event = Event.objects.get(biz_location__endswith="unit:AO-001")
    assert event.province_id == world.province.pk
    assert not event.flags.exists()
    traced = coop.get(f"/api/trace/lots/{lot.uri}/trace").json()
    assert [h["lot"] for h in traced["harvests"]] == [lot.uri]
    assert traced["events"][0]["place"] == "Ao cá bản Nà (AO-001)"
    check = coop.get("/api/products/lots/completeness", {"uri": lot.uri}).json()
    by_key = {i["key"]: i for i in check["items"]}
    assert by_key["origin"]["complete"] and by_key["participants"]["complete"]
    assert bearer_client(world, "other_coop").get("/api/products/units").json() == []


def test_bad_units_are_refused_naming_the_field(chain):
    world = chain.world
    coop = bearer_client(world, "coop")
    before = ProductionUnit.objects.count()
    bad = coop.post(
        "/api/products/units",
        {
            "kind": "orchard",
            "identifier": "A/1",
            "name": "",
            "product": "unobtainium",
            "geometry": {"type": "Point", "coordinates": [0, 0]},
            "commune": world.communes[0].pk,
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {"kind", "identifier", "name", "product", "geometry"} <= set(bad.json()["errors"])
    assert bearer_client(world, "packing").post(
        "/api/products/units", {}, content_type="application/json"
    ).status_code in (403, 422)
    assert ProductionUnit.objects.count() == before


def test_the_authority_sets_a_ratio_with_its_source(chain):
    world = chain.world
    body = {"input": "dong-starch", "output": "dong-vermicelli", "ratio": "0.9", "source": ""}
    ppo = bearer_client(world, "ppo")
    refused = ppo.post("/api/products/relations/ratio", body, content_type="application/json")
    assert refused.status_code == 422 and "source" in refused.json()["errors"]
    body["source"] = "test value, not a measured figure"
    done = ppo.post("/api/products/relations/ratio", body, content_type="application/json")
    assert done.status_code == 200 and float(done.json()["ratio"]) == 0.9
    coop = bearer_client(world, "coop")
    assert (
        coop.post(
            "/api/products/relations/ratio", body, content_type="application/json"
        ).status_code
        == 403
    )
