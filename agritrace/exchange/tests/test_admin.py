"""The administrator's side: the page /exchange/ (in Vietnamese by default, the connectors
with their counts, the dead letters with their error and the re-send button), the API
(connectors without their secrets, messages with filters, re-send), the audit of each action
(never a token or a secret in the log), the menu entry, the wrong roles refused, and the
command `agritrace exchange`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from agritrace.accounts.models import ApiToken
from agritrace.audit.models import AuditEntry
from agritrace.exchange import delivery
from agritrace.exchange.models import Connector, Delivery, DeliveryState
from agritrace.exchange.outbox import record
from agritrace.web.menu import menu_keys

from .conftest import connector

pytestmark = pytest.mark.django_db


def _bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'test')[1]}")


def _dead(c: Connector, subject="VN-DLOR-0001"):
    m = record("code.issued", subject, {"code": subject}, f"key-{subject}-{c.pk}")
    Delivery.objects.filter(message=m).update(
        state=DeliveryState.DEAD, attempts=10, last_error="HTTP 500: the portal is down"
    )
    return Delivery.objects.get(message=m, connector=c)


def test_the_api_adds_a_connector_audited_without_its_secret(admin, world):
    client = _bearer(admin.user)
    answer = client.post(
        "/api/exchange/connectors",
        {"name": "Portal", "kind": "webhook", "url": "https://portal.test/in", "secret": "k3y"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secretSet"] is True and "secret" not in body and "k3y" not in answer.text
    assert body["kinds"] == Connector.objects.get().takes()
    entry = AuditEntry.objects.get(action="exchange.connector.create")
    assert "k3y" not in str(entry.after) and entry.after["secret_set"] is True
    # A change keeps the stored secret when none is given; a bad address is a 422 on its field.
    pk = body["id"]
    changed = client.put(
        f"/api/exchange/connectors/{pk}", {"enabled": False}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert Connector.objects.get().secret == "k3y"
    bad = client.put(
        f"/api/exchange/connectors/{pk}", {"url": "file:///etc"}, content_type="application/json"
    )
    assert bad.status_code == 422 and "url" in bad.json()["errors"]
    listed = client.get("/api/exchange/connectors").json()
    assert listed[0]["counts"] == {"pending": 0, "retrying": 0, "delivered": 0, "dead": 0}


def test_an_epcis_connector_takes_events_only(admin):
    from agritrace.exchange.config import save_connector

    with pytest.raises(Exception) as refused:  # noqa: B017 - ValidationError
        save_connector(
            admin,
            {"name": "r", "kind": "epcis", "url": "http://r.test/epcis", "kinds": ["code.issued"]},
        )
    assert "kinds" in refused.value.message_dict


def test_messages_are_listed_with_filters_and_dead_letters_sent_again(admin):
    c = connector("webhook", url="http://x.test/h", secret="s")
    dead = _dead(c)
    record("code.issued", "VN-DLOR-0002", {"code": "VN-DLOR-0002"}, "other")
    client = _bearer(admin.user)
    found = client.get("/api/exchange/messages?state=dead").json()
    assert [m["subject"] for m in found["items"]] == ["VN-DLOR-0001"]
    assert found["items"][0]["deliveries"][0]["last_error"] == "HTTP 500: the portal is down"
    assert client.get("/api/exchange/messages?subject=VN-DLOR-0002").json()["count"] == 1
    answer = client.post(
        f"/api/exchange/connectors/{c.pk}/resend", {}, content_type="application/json"
    )
    assert answer.json()["requeued"] == 1
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (DeliveryState.PENDING, 0)
    assert AuditEntry.objects.filter(action="exchange.resend").count() == 1


def test_the_page_shows_counts_and_dead_letters_in_vietnamese_and_sends_again(admin, settings):
    settings.LANGUAGE_CODE = "vi"
    c = connector("webhook", name="Cổng quốc gia", url="http://x.test/h", secret="s")
    dead = _dead(c)
    client = Client()
    client.force_login(admin.user)
    with translation.override("vi"):
        page = client.get("/exchange/", HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cổng quốc gia" in html and "HTTP 500: the portal is down" in html
    assert 'data-state="dead">1<' in html
    assert 'lang="vi"' in html
    answer = client.post("/exchange/", {"action": "resend", "connector": c.pk, "delivery": dead.pk})
    assert answer.status_code == 302
    dead.refresh_from_db()
    assert dead.state == DeliveryState.PENDING
    assert "exchange" in menu_keys(admin)


def test_the_page_adds_and_edits_a_connector(admin, tmp_path):
    client = Client()
    client.force_login(admin.user)
    answer = client.post(
        "/exchange/",
        {
            "action": "create",
            "name": "Code list",
            "kind": "file_drop",
            "enabled": "on",
            "folder": str(tmp_path),
            "columns": '[{"key": "code", "header": "Mã số"}]',
            "batch_size": 50,
            "max_attempts": 10,
            "backoff_base_seconds": 30,
            "backoff_cap_seconds": 3600,
            "timeout_seconds": 30,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    c = Connector.objects.get()
    assert c.columns == [{"key": "code", "header": "Mã số", "source": "unconfirmed"}]
    page = client.get(f"/exchange/connectors/{c.pk}/")
    assert page.status_code == 200 and "Mã số" in page.content.decode()
    refused = client.post(
        f"/exchange/connectors/{c.pk}/",
        {"name": "Code list", "kind": "file_drop", "folder": str(tmp_path),
         "columns": '[{"key": "owner", "header": "X"}]', "batch_size": 1, "max_attempts": 1,
         "backoff_base_seconds": 1, "backoff_cap_seconds": 1, "timeout_seconds": 1},
    )  # fmt: skip
    assert refused.status_code == 200 and "Unknown column key owner" in refused.content.decode()


@pytest.mark.parametrize("key", ["ministry", "province", "ppo", "commune", "exporter"])
def test_other_roles_are_refused(world, key):
    client = Client()
    client.force_login(world.users[key])
    assert client.get("/exchange/").status_code == 403
    assert _bearer(world.users[key]).get("/api/exchange/connectors").status_code == 403
    assert "exchange" not in menu_keys(world.actor(key))


def test_a_superuser_is_an_administrator(db):
    from django.contrib.auth import get_user_model

    from agritrace.accounts.access import Actor
    from agritrace.exchange.access import may_administer

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-Root-123")
    assert may_administer(Actor.of(root))


def test_the_command_delivers_lists_and_resends(admin, monkeypatch):
    from agritrace.exchange import connectors

    c = connector("webhook", url="http://x.test/h", secret="s", max_attempts=1)
    record("code.issued", "VN-DLOR-0009", {"code": "VN-DLOR-0009"}, "cmd")
    monkeypatch.setattr(connectors, "send", lambda conn, ms: connectors.Outcome(False, "boom"))
    out = io.StringIO()
    call_command("exchange", "deliver", "--once", stdout=out, stderr=io.StringIO())
    assert "0 delivered, 0 to retry, 1 dead letters." in out.getvalue()
    out = io.StringIO()
    call_command("exchange", "dead", stdout=out)
    assert "VN-DLOR-0009" in out.getvalue() and "boom" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("exchange", "resend", str(c.pk), "--as", "ppo_user")  # an inspector
    out = io.StringIO()
    call_command("exchange", "resend", str(c.pk), "--as", "ppo_manager", stdout=out)
    assert "1 messages are queued again." in out.getvalue()
    monkeypatch.setattr(connectors, "send", lambda conn, ms: connectors.DELIVERED)
    assert delivery.deliver().delivered == 1
    out = io.StringIO()
    call_command("exchange", "connectors", stdout=out)
    assert "delivered=1" in out.getvalue()
