"""Issue 17, item 2, in the diary: a date typed as dd/mm/yyyy (a browser without a date picker)
in Vietnamese is that day, not the month-first one; an unreal date is refused beside the field."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from agritrace.accounts.preferences import set_language


def test_a_diary_entry_typed_day_first_in_vietnamese(farm, products):
    """The walk's case: a date typed as dd/mm/yyyy where the browser shows no picker."""
    from agritrace.diary.models import DiaryEntry

    day = timezone.localdate() - timedelta(days=1)
    while day.day > 12 or day.day == day.month:  # a date the two orders read differently
        day -= timedelta(days=1)
    client = Client()
    client.force_login(farm.world.users["household"])
    set_language(farm.world.users["household"], "vi")  # staff pages follow the saved language
    body = {
        "kind": "spraying",
        "date": day.strftime("%d/%m/%Y"),
        "ground": f"plot:{farm.plot.pk}",
        "product": f"p:{products['azoxy'].pk}",
        "quantity": "0,3",
        "unit": "LTR",
    }
    r = client.post("/diary/new/", body)
    assert r.status_code == 302, r.context["form"].errors
    assert DiaryEntry.objects.get().date == day
    r = client.post("/diary/new/", {**body, "date": "31/02/2026"})
    assert r.status_code == 200 and "date" in r.context["form"].errors
    assert DiaryEntry.objects.count() == 1
