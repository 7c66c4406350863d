"""Processing at a processing facility: a TransformationEvent through the trace's recording
path, the catalogue's relation and ratio enforced, the backward trace reaching the plots."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agritrace.products import processing
from agritrace.products.models import ProcessingRelation
from agritrace.trace import chain as trace_chain
from agritrace.trace.models import Event, Lot

from .conftest import harvest, receive

pytestmark = pytest.mark.django_db


def _process(chain, lot: str, kg_in: str = "1000", kg_out: str = "240", **extra):
    data = {
        "facility": chain.facility.pk,
        "product": "dried-tea",
        "inputs": [{"lot": lot, "quantity": kg_in, "unit": "KGM"}],
        "output_quantity": kg_out,
        "output_unit": "KGM",
        **extra,
    }
    return processing.record_processing(chain.world.actor(extra.pop("as_", "processor")), data)


def test_processing_makes_a_dried_tea_lot_traced_back_to_the_plots(chain):
    lot = harvest(chain)
    receive(chain, lot)
    made = _process(chain, lot)
    out = Lot.objects.get(uri=made.lot)
    assert out.crop.code == "dried-tea"
    event = Event.objects.get(event_type="TransformationEvent")
    assert event.biz_step == "creating_class_instance"
    assert event.province_id == chain.world.province.pk
    assert not event.flags.filter(rule="unknown_location").exists()
    found = trace_chain.backward(chain.world.actor("ppo"), made.lot)
    assert lot in found.lots.values()
    assert {p.pk for h in found.harvests for p in h.plots} == {p.pk for p in chain.area.plots.all()}
    step = next(s for s in found.steps if s.event.event_type == "TransformationEvent")
    assert step.place == f"{chain.facility.name} (LC-CB-001)"


def test_output_over_input_times_ratio_is_refused_naming_the_field(chain):
    lot = harvest(chain)
    receive(chain, lot)
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        _process(chain, lot, kg_out="300")  # 1000 × 0.25 × 1.05 = 262.5
    assert "output_quantity" in exc.value.message_dict
    assert Event.objects.count() == before


def test_within_the_tolerance_passes(chain):
    lot = harvest(chain)
    receive(chain, lot)
    processing_ok = _process(chain, lot, kg_out="262")
    assert Lot.objects.filter(uri=processing_ok.lot).exists()


def test_unknown_product_is_refused(chain):
    lot = harvest(chain)
    receive(chain, lot)
    with pytest.raises(ValidationError) as exc:
        _process(chain, lot, product="no-such-product")
    assert "product" in exc.value.message_dict


def test_no_relation_from_the_input_product_is_refused(chain):
    lot = harvest(chain)
    receive(chain, lot)
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        _process(chain, lot, product="milled-rice")
    assert "inputs[0].lot" in exc.value.message_dict
    assert Event.objects.count() == before


def test_an_input_not_held_by_the_facility_is_refused(chain):
    lot = harvest(chain)  # not received by the facility
    with pytest.raises(ValidationError) as exc:
        _process(chain, lot)
    assert "inputs[0].lot" in exc.value.message_dict


def test_a_configurable_ratio_defaults_to_no_more_out_than_in(chain, settings):
    ProcessingRelation.objects.filter(input=chain.tea, output=chain.dried).update(ratio=None)
    lot = harvest(chain)
    receive(chain, lot)
    with pytest.raises(ValidationError):
        _process(chain, lot, kg_out="1100")
    settings.AGRITRACE_PROCESSING_DEFAULT_RATIO = "0.2"
    with pytest.raises(ValidationError):
        _process(chain, lot, kg_out="300")
    assert Lot.objects.get(uri=_process(chain, lot, kg_out="200").lot).produced_kg == 200


def test_only_the_operator_records_its_processing(chain):
    lot = harvest(chain)
    receive(chain, lot)
    with pytest.raises(PermissionDenied):
        processing.record_processing(
            chain.world.actor("packing"),
            {"facility": chain.facility.pk, "product": "dried-tea", "inputs": []},
        )
