"""Recall pages: an office starts a recall from a failed sample's, a residue case's or a
notice's page and lands on the recall (lots, shipments, organisations told); the recall list
and page are scoped; every other role is refused and nothing is created."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from agritrace.audit.models import AuditEntry
from agritrace.notifications.models import Notification
from agritrace.trace.models import Recall, RecallLot

from .conftest import session_client
from .test_checks import LOT_A, LOT_B, PACKED, SSCC
from .test_recall import PALLET, captured, failed_sample, shipment_notice  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

START = "/trace/recalls/start/"


def test_the_office_starts_a_recall_from_the_failed_samples_page(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    client = session_client(world, "ppo")
    page = client.get(reverse("supervision-sample", args=[sample.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="{START}"' in html and f'name="sample" value="{sample.pk}"' in html

    response = client.post(
        START, {"sample": sample.pk, "reason": "", "next": f"/supervision/samples/{sample.pk}/"}
    )
    made = Recall.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/trace/recalls/{made.pk}/"
    assert made.sample == sample and made.reason.startswith("Residue sample")
    assert set(made.lots.values_list("lot__uri", flat=True)) == {LOT_A, LOT_B, PACKED, PALLET}
    assert AuditEntry.objects.filter(action="trace.recall").count() == 1

    detail = client.get(response["Location"])
    text = detail.content.decode()
    assert made.reference in text and "4 lots recalled" in text
    for uri in (LOT_A, LOT_B, PACKED, PALLET):
        assert uri in text
    assert SSCC in text  # the shipment's pallet
    for key in ("packing", "exporter", "coop"):
        assert world.orgs[key].name in text
    assert [str(m) for m in get_messages(detail.wsgi_request)] == [
        f"Recall {made.reference}: 4 lots, 1 shipment, {made.notified.count()} organisations told."
    ]
    # Those told are sent to the recall's page, and may open it.
    told = Notification.objects.get(organisation=world.orgs["packing"])
    assert told.url == f"/trace/recalls/{made.pk}/"
    assert session_client(world, "packing").get(told.url).status_code == 200
    # The sample's page now links the recall, and offers no second one while it is open.
    again = client.get(reverse("supervision-sample", args=[sample.pk])).content.decode()
    assert f'href="/trace/recalls/{made.pk}/"' in again and START not in again


def test_the_residue_cases_page_offers_the_recall_of_its_sample(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    case = sample.cases.get()
    html = session_client(world, "ppo").get(reverse("supervision-case", args=[case.pk]))
    assert f'name="sample" value="{sample.pk}"' in html.content.decode()


def test_the_province_starts_a_recall_from_a_notices_page(world, captured):  # noqa: F811
    notice = shipment_notice(world)
    client = session_client(world, "province")
    html = client.get(reverse("supervision-notice", args=[notice.pk])).content.decode()
    assert f'name="notice" value="{notice.pk}"' in html
    response = client.post(START, {"notice": notice.pk, "reason": "GACC notice of 20 June"})
    made = Recall.objects.get()
    assert response["Location"] == f"/trace/recalls/{made.pk}/"
    assert made.notice == notice and made.reason == "GACC notice of 20 June"
    assert RecallLot.objects.filter(recall=made).count() == 4
    assert "GACC notice of 20 June" in client.get(response["Location"]).content.decode()


def test_a_sample_with_no_result_above_a_limit_offers_no_recall(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    sample.cases.all().delete()
    client = session_client(world, "ppo")
    html = client.get(reverse("supervision-sample", args=[sample.pk])).content.decode()
    assert START not in html
    back = f"/supervision/samples/{sample.pk}/"
    response = client.post(START, {"sample": sample.pk, "next": back}, follow=True)
    assert response.redirect_chain == [(back, 302)]
    assert "no result above a limit" in response.content.decode()
    assert not Recall.objects.exists() and not Notification.objects.exists()


def test_naming_neither_or_both_is_refused(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    client = session_client(world, "ppo")
    for body in ({}, {"sample": sample.pk, "notice": shipment_notice(world).pk}, {"sample": "x"}):
        response = client.post(START, body, follow=True)
        assert response.redirect_chain == [("/trace/recalls/", 302)], body
        assert "Name either a failed sample or a notice." in response.content.decode()
    assert not Recall.objects.exists()


def test_next_must_stay_on_this_site(world, captured):  # noqa: F811
    client = session_client(world, "ppo")
    response = client.post(START, {"next": "//evil.example/x"})
    assert response["Location"] == "/trace/recalls/"


@pytest.mark.parametrize("key", ["packing", "exporter", "coop", "household", "lab", "commune"])
def test_other_roles_are_refused_and_see_no_form(world, captured, key):  # noqa: F811
    sample = failed_sample(world, captured)
    notice = shipment_notice(world)
    client = session_client(world, key)
    for url in (
        reverse("supervision-sample", args=[sample.pk]),
        reverse("supervision-notice", args=[notice.pk]),
    ):
        page = client.get(url)
        assert START not in page.content.decode(), (key, url)
    assert client.post(START, {"sample": sample.pk}).status_code == 403
    assert client.post(START, {"notice": notice.pk}).status_code == 403
    assert not Recall.objects.exists() and not Notification.objects.exists()


def test_a_viewer_of_the_office_is_refused(world, captured):  # noqa: F811
    from conftest import make_user

    viewer = make_user("ppo_viewer", world.orgs["ppo"], role="viewer")
    sample = failed_sample(world, captured)
    client = Client()
    client.force_login(viewer)
    page = client.get(reverse("supervision-sample", args=[sample.pk])).content.decode()
    assert START not in page
    assert client.post(START, {"sample": sample.pk}).status_code == 403
    assert not Recall.objects.exists()


def test_another_provinces_office_cannot_reach_the_sample(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    assert session_client(world, "other_ppo").post(START, {"sample": sample.pk}).status_code == 404
    assert not Recall.objects.exists()


def test_anonymous_is_sent_to_log_in(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    for response in (Client().post(START, {"sample": sample.pk}), Client().get("/trace/recalls/")):
        assert response.status_code == 302 and "/login" in response["Location"]
    assert not Recall.objects.exists()


def test_start_takes_only_post(world, captured):  # noqa: F811
    assert session_client(world, "ppo").get(START).status_code == 405


def test_the_list_and_page_are_scoped(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    session_client(world, "ppo").post(START, {"sample": sample.pk})
    made = Recall.objects.get()
    page = f"/trace/recalls/{made.pk}/"
    for key in ("ppo", "province", "packing", "exporter", "coop"):  # the office and those told
        client = session_client(world, key)
        listing = client.get("/trace/recalls/").content.decode()
        assert made.reference in listing, key
        assert client.get(page).status_code == 200, key
    for key in ("other_ppo", "other_coop", "coop_b"):
        client = session_client(world, key)
        listing = client.get("/trace/recalls/").content.decode()
        assert made.reference not in listing and "No recalls to show." in listing, key
        assert client.get(page).status_code == 404, key


def test_the_office_closes_a_recall_on_its_page(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    client = session_client(world, "ppo")
    client.post(START, {"sample": sample.pk})
    made = Recall.objects.get()
    page = f"/trace/recalls/{made.pk}/"
    html = client.get(page).content.decode()
    assert 'name="outcome"' in html and 'name="note"' in html
    title = html[html.index("<title>") : html.index("</title>")]
    assert title.startswith(f"<title>Recall {made.reference}") and "<form" not in title
    # No note: the error is beside the field and the recall stays open.
    response = client.post(page, {"outcome": "completed", "note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert 'class="field-error" id="id_note_error"' in response.content.decode()
    made.refresh_from_db()
    assert made.status == "open"
    response = client.post(page, {"outcome": "lifted", "note": "The laboratory mixed up samples"})
    assert response.status_code == 302 and response["Location"] == page
    made.refresh_from_db()
    assert made.status == "closed" and made.outcome == "lifted"
    closed = client.get(page).content.decode()
    assert "The laboratory mixed up samples" in closed and 'name="outcome"' not in closed


@pytest.mark.parametrize("key", ["packing", "exporter", "coop"])
def test_those_told_see_the_recall_but_may_not_close_it(world, captured, key):  # noqa: F811
    sample = failed_sample(world, captured)
    session_client(world, "ppo").post(START, {"sample": sample.pk})
    made = Recall.objects.get()
    client = session_client(world, key)
    page = f"/trace/recalls/{made.pk}/"
    assert 'name="outcome"' not in client.get(page).content.decode()
    assert client.post(page, {"outcome": "lifted", "note": "x"}).status_code == 403
    made.refresh_from_db()
    assert made.status == "open"


# ------------------------------------------------------------------ forward from a sample


def test_the_forward_trace_of_a_failed_sample_marks_nothing(world, captured):  # noqa: F811
    from .conftest import bearer_client

    sample = failed_sample(world, captured)
    client = session_client(world, "ppo")
    sample_page = client.get(reverse("supervision-sample", args=[sample.pk])).content.decode()
    assert f'href="/trace/samples/{sample.pk}/"' in sample_page
    page = client.get(f"/trace/samples/{sample.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Forward trace of residue sample {sample.code}" in text
    assert "harvests at VN-DLOR-0101 since" in text
    api = bearer_client(world, "ppo").get(f"/api/trace/samples/{sample.pk}/trace").json()
    assert set(api["lots"]) == {LOT_A, LOT_B, PACKED, PALLET}  # what a recall would mark
    assert api["direction"] == "forward" and api["startedFrom"].startswith("harvests at")
    assert not Recall.objects.exists() and not RecallLot.objects.exists()


@pytest.mark.parametrize("key, status", [("lab", 403), ("household", 403), ("other_ppo", 404)])
def test_the_forward_trace_of_a_sample_is_refused_to_others(world, captured, key, status):  # noqa: F811
    from .conftest import bearer_client

    sample = failed_sample(world, captured)
    assert session_client(world, key).get(f"/trace/samples/{sample.pk}/").status_code == status
    api = bearer_client(world, key).get(f"/api/trace/samples/{sample.pk}/trace")
    assert api.status_code == status


def test_the_laboratory_sees_the_sample_without_a_trace_link(world, captured):  # noqa: F811
    sample = failed_sample(world, captured)
    page = session_client(world, "lab").get(reverse("supervision-sample", args=[sample.pk]))
    assert page.status_code == 200 and "/trace/samples/" not in page.content.decode()
