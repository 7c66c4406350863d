"""Trace pages in the reader's language (issue 17, item 11): EPCIS and CBV terms named with
the term beside them, the business-step filter a list, and the capture's raw messages
(jsonschema's, the JSON parser's, the rule codes) turned into sentences."""

import pytest
from django.utils import translation

from agritrace.trace import labels, readable, services
from agritrace.trace.models import Event
from agritrace.trace.validation import schema_errors

from .conftest import document, harvest, session_client
from .test_views import captured  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_the_event_list_names_types_and_steps_with_the_terms_beside(world, captured, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "en"
    html = session_client(world, "packing").get("/trace/").content.decode()
    assert (
        'Aggregation event, added <span class="cbv-term muted">(AggregationEvent ADD)</span>'
        in (html)
    )
    assert 'Shipping <span class="cbv-term muted">(shipping)</span>' in html
    assert 'Creating the lot (harvest) <span class="cbv-term muted">(commissioning)</span>' in html
    # the business-step filter is a list of named steps, not free text
    select = html.split('<select name="biz_step" id="id_biz_step">')[1].split("</select>")[0]
    assert '<option value="shipping">Shipping (shipping)</option>' in select
    assert 'list="biz-steps"' not in html
    chosen = session_client(world, "packing").get("/trace/", {"biz_step": "shipping"})
    assert '<option value="shipping" selected>' in chosen.content.decode()


def test_the_event_page_names_the_disposition(world, captured, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "en"
    shipped = Event.objects.get(biz_step="shipping")
    html = session_client(world, "packing").get(f"/trace/events/{shipped.pk}/").content.decode()
    assert "<h1>Aggregation event: Shipping</h1>" in html
    assert 'In transit <span class="cbv-term muted">(in_transit)</span>' in html


def test_a_term_without_a_name_is_shown_as_it_is():
    assert labels.name("bizStep", "cycle_counting") == "cycle_counting"
    assert str(labels.with_term("bizStep", "urn:example:step:x")) == (
        '<span class="cbv-term">urn:example:step:x</span>'
    )
    assert labels.name("bizStep", "urn:epcglobal:cbv:bizstep:shipping") == "Shipping"


def test_the_page_drops_the_rule_codes_the_api_keeps():
    message = (
        "5,000 kg have now been drawn from urn:x, which was made with 1,000 kg. [lot_overdrawn]"
    )
    assert readable.for_page(message) == (
        "5,000 kg have now been drawn from urn:x, which was made with 1,000 kg."
    )
    assert readable.errors_for_page({"$": ["The outputs weigh more. [mass_balance]"]}) == {
        "$": ["The outputs weigh more."]
    }


def test_schema_messages_are_sentences_not_jsonschema_text():
    doc = document(harvest("lo hang 1", services.location_uri("VN-DLOR-0001")))
    with translation.override("en"):
        messages = [m for ms in schema_errors(doc).values() for m in ms]
    assert not any("is not a 'uri'" in m for m in messages), messages
    assert any(m.startswith("“lo hang 1” is not an identifier in URI form") for m in messages)


def test_malformed_json_is_a_sentence():
    with translation.override("en"), pytest.raises(services.CaptureRejected) as caught:
        services.parse_document('{"type": ')
    (message,) = caught.value.message_dict["$"]
    assert message == (
        "Malformed JSON (line 1, column 10): a value was expected (text, a number, {…} or […])."
    )
