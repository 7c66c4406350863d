"""People's names (issue 17, item 12): family name first everywhere (pages, API labels, the
audit log), the diary by name, and inspector lists of only the people who inspect."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from agritrace.accounts.inspectors import inspectors
from agritrace.accounts.models import Role
from agritrace.accounts.names import display_name, full_name
from agritrace.audit.models import AuditEntry
from agritrace.registry.lifecycle import transition
from agritrace.supervision.services import province_inspectors
from agritrace.web.forms import inspectors_for
from conftest import make_area, make_user

pytestmark = pytest.mark.django_db


def _name(user, family: str, given: str):
    user.last_name, user.first_name = family, given
    user.save()
    return user


def test_display_name_is_family_name_first():
    User = get_user_model()
    assert display_name(User(username="dung", first_name="Dũng", last_name="Lê Văn")) == (
        "Lê Văn Dũng"
    )
    assert display_name(User(username="ykong", first_name="Adrơng", last_name="Y Kông")) == (
        "Y Kông Adrơng"
    )
    assert display_name(User(username="nobody")) == "nobody"
    assert full_name(User(username="nobody")) == ""
    assert display_name(None) == ""


def test_pages_api_and_audit_name_the_person_family_name_first(world):
    ppo = _name(world.users["ppo"], "Lê Văn", "Dũng")
    coop = _name(world.users["coop"], "Hoàng Văn", "Thắng")
    area, app = make_area(world)
    client = Client()
    client.force_login(coop)
    assert (
        client.post(reverse("application-act", args=[app.pk]), {"action": "submit"}).status_code
        == 302
    )
    transition(app, "start_appraisal", world.actor("ppo"))
    html = client.get(reverse("application-detail", args=[app.pk])).content.decode()
    assert "Hoàng Văn Thắng" in html and "Lê Văn Dũng" in html
    assert "Thắng Hoàng Văn" not in html and "Dũng Lê Văn" not in html
    assert 'title="Hoàng Văn Thắng"' in html  # the layout's "who is logged in"
    body = client.get(f"/api/applications/{app.pk}").json()
    assert {s["actor"] for s in body["steps"]} >= {"Hoàng Văn Thắng", "Lê Văn Dũng"}
    entry = AuditEntry.objects.filter(actor=ppo).latest("seq")
    assert entry.actor_label.startswith("Lê Văn Dũng [ppo_user]")


def test_the_diary_says_who_recorded_an_entry_by_name(world):
    from agritrace.diary import services as diary

    area, _app = make_area(world, households=1)
    _name(world.users["coop"], "Hoàng Văn", "Thắng")
    plot = area.plots.first()
    from datetime import timedelta

    from django.utils import timezone

    entry, _flags = diary.record_entry(
        world.actor("coop"),
        {
            "kind": "irrigation",
            "date": timezone.localdate() - timedelta(days=1),
            "plot": plot.pk,
        },
    )
    client = Client()
    client.force_login(world.users["coop"])
    html = client.get(f"/diary/entries/{entry.pk}/").content.decode()
    assert "Hoàng Văn Thắng" in html
    assert "coop_user" not in html
    body = client.get(f"/api/diary/entries/{entry.pk}").json()
    assert body["recorded_by"] == "coop_user"
    assert body["recorded_by_name"] == "Hoàng Văn Thắng"


def test_inspector_lists_offer_only_people_who_inspect(world):
    viewer = make_user("viewer_user", world.orgs["province"], Role.VIEWER)
    officer = world.users["province"]  # an officer of the department: may inspect
    inspector = world.users["ppo"]  # the plant-protection office's inspector
    gone = make_user("gone_user", world.orgs["ppo"], Role.INSPECTOR)
    gone.is_active = False
    gone.save()
    area, app = make_area(world)
    offered = list(inspectors(world.province.pk))
    assert offered[0] == inspector  # inspectors first
    assert officer in offered
    assert viewer not in offered and gone not in offered
    assert world.users["coop"] not in offered and world.users["other_ppo"] not in offered
    for listed in (inspectors_for(world.actor("ppo"), area), province_inspectors(world.province)):
        assert list(listed) == offered
    # the application page's list
    transition(app, "submit", world.actor("coop"))
    for step in ("start_appraisal", "accept"):
        transition(app, step, world.actor("ppo"))
    client = Client()
    client.force_login(inspector)
    html = client.get(reverse("application-detail", args=[app.pk])).content.decode()
    select = html.split('id="id_schedule_inspection_inspector"')[1].split("</select>")[0]
    assert f'value="{inspector.pk}"' in select and f'value="{officer.pk}"' in select
    assert f'value="{viewer.pk}"' not in select
