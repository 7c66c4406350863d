"""Issue 17, item 6, in the diary: an entry's notes have a limit (NOTE_MAX_LENGTH), refused
with the limit on the API and beside the field on the form, nothing saved."""

import json

from agritrace.diary.models import DiaryEntry
from agritrace.limits import NOTE_MAX_LENGTH

from .conftest import client_for, days_ago

TOO_LONG = "x" * (NOTE_MAX_LENGTH + 1)


def test_long_diary_notes_are_refused_on_the_api(farm, products):
    body = {
        "kind": "spraying",
        "date": days_ago(1).isoformat(),
        "plot": farm.plot.pk,
        "pesticide": products["azoxy"].pk,
        "quantity": "0.3",
        "unit": "LTR",
        "notes": TOO_LONG,
    }
    client = client_for(farm.world, "household")
    r = client.post("/api/diary/entries", json.dumps(body), content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"]["notes"] == ["At most 4,000 characters, please: this text has 4,001."]
    assert not DiaryEntry.objects.exists()
    body["notes"] = "x" * NOTE_MAX_LENGTH
    r = client.post("/api/diary/entries", json.dumps(body), content_type="application/json")
    assert r.status_code == 201 and len(DiaryEntry.objects.get().notes) == NOTE_MAX_LENGTH


def test_long_diary_notes_are_refused_beside_the_field(farm, products):
    client = client_for(farm.world, "household")
    r = client.post(
        "/diary/new/",
        {
            "kind": "spraying",
            "date": days_ago(1).isoformat(),
            "ground": f"plot:{farm.plot.pk}",
            "product": f"p:{products['azoxy'].pk}",
            "quantity": "0,3",
            "unit": "LTR",
            "notes": TOO_LONG,
        },
    )
    assert r.status_code == 200
    assert "At most 4,000 characters" in " ".join(r.context["form"].errors["notes"])
    assert not DiaryEntry.objects.exists()
