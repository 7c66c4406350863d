"""`agritrace trace capture FILE --as USER`: an EPCIS document captured from the command line,
every event or none, as POST /epcis/capture does."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agritrace.trace.models import Event


def _document(events: list[dict]) -> str:
    return json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-06-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        }
    )


def _event(n: int) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-06-01T08:00:0{n}Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [f"urn:epc:id:sgtin:8930000.012345.{n}"],
        "action": "OBSERVE",
    }


@pytest.mark.django_db
def test_the_command_captures_a_document_and_refuses_a_bad_one_whole(world, tmp_path, capsys):
    good = tmp_path / "good.jsonld"
    good.write_text(_document([_event(1), _event(2)]))
    call_command("trace", "capture", str(good), "--as", "packing_user")
    assert "2" in capsys.readouterr().out and Event.objects.count() == 2

    bad = tmp_path / "bad.jsonld"
    bad.write_text(_document([_event(3), {**_event(4), "action": "JUMP"}]))
    with pytest.raises(CommandError, match="Nothing was captured"):
        call_command("trace", "capture", str(bad), "--as", "packing_user")
    assert "eventList" in capsys.readouterr().err
    assert Event.objects.count() == 2

    with pytest.raises(CommandError):
        call_command("trace", "capture", str(good), "--as", "lab_user")  # may not capture
