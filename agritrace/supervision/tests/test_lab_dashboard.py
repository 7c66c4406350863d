"""A laboratory's dashboard shows the samples sent to it, those awaiting a result first, and
no other laboratory's (issue 17 item 14); other organisations' dashboards have no such list."""

import pytest
from django.test import Client

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.supervision import services
from conftest import make_user

from .conftest import days, issue_area

pytestmark = pytest.mark.django_db


def sample_for(world, area, lab):
    return services.register_sample(
        world.actor("ppo"),
        {
            "area": area.pk,
            "plot_or_lot": "P0",
            "sampled_on": days(-1),
            "laboratory": lab.pk,
            "analyses": ["chlorpyrifos"],
        },
    )


def dashboard(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_laboratory_sees_its_samples_on_its_dashboard(world):
    area = issue_area(world)
    other_lab = Organisation.objects.create(
        name="Other lab", kind=OrgKind.LABORATORY, unit=world.province
    )
    ours = sample_for(world, area, world.orgs["lab"])
    theirs = sample_for(world, area, other_lab)

    page = dashboard(world.users["lab"])
    assert 'id="lab-samples"' in page
    assert f'data-sample="{ours.code}"' in page
    assert f"/supervision/samples/{ours.pk}/" in page
    assert theirs.code not in page

    other = dashboard(make_user("other_lab_user", other_lab))
    assert theirs.code in other and ours.code not in other
    assert 'id="lab-samples"' not in dashboard(world.users["ppo"])
