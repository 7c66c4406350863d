"""The connectors against real local receivers: the webhook's HMAC-SHA256 signature, its
timestamp and idempotency key checked by a small HTTP server; "already have it" (409) taken
as delivered; the file drop's XLSX read back with its column mapping; an address that is not
http(s) refused."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook

from agritrace.exchange import connectors, delivery
from agritrace.exchange.filedrop import default_mapping
from agritrace.exchange.models import Delivery, DeliveryState
from conftest import make_area, walk_to_issued

from .conftest import connector

pytestmark = pytest.mark.django_db
SECRET = "s3cret-of-the-portal"


class Hook:
    """A webhook receiver that verifies each request's signature and answers `status`."""

    def __init__(self, status: int = 200):
        self.requests: list[tuple[object, bytes]] = []
        self.status = status
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append((self.headers, body))  # case-insensitive
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    found = Hook()
    yield found
    found.close()


def test_the_webhook_is_signed_and_carries_the_idempotency_key(world, hook):
    c = connector("webhook", url=hook.url, secret=SECRET)
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    summary = delivery.deliver()
    assert summary.delivered == 1
    headers, body = hook.requests[0]
    message = Delivery.objects.get(connector=c).message
    assert headers["Idempotency-Key"] == message.idempotency_key
    timestamp, given = headers[connectors.TIMESTAMP_HEADER], headers[connectors.SIGNATURE_HEADER]
    assert connectors.verify_signature(SECRET, timestamp, body, given)
    assert not connectors.verify_signature("another secret", timestamp, body, given)
    assert not connectors.verify_signature(SECRET, timestamp, body + b" ", given)
    assert not connectors.verify_signature(SECRET, str(int(timestamp) + 1), body, given)
    sent = json.loads(body)
    assert sent["kind"] == "code.issued" and sent["subject"] == area.code
    assert sent["payload"]["code"] == area.code and sent["id"] == message.idempotency_key


def test_a_webhook_answering_already_have_it_is_delivered_and_5xx_retries(world, hook):
    connector("webhook", url=hook.url, secret=SECRET)
    area, app = make_area(world)
    walk_to_issued(world, app)
    hook.status = 503
    assert delivery.deliver().failed == 1
    d = Delivery.objects.get()
    assert d.state == DeliveryState.RETRYING and d.last_error.startswith("HTTP 503")
    hook.status = 409
    assert delivery.deliver(now=d.next_attempt_at).delivered == 1


def test_the_file_drop_writes_the_code_list_with_its_mapping(world, tmp_path):
    c = connector("file_drop", url="", folder=str(tmp_path))
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    assert delivery.deliver().delivered == 1
    files = sorted(tmp_path.glob("*.xlsx"))
    assert len(files) == 1 and not list(tmp_path.glob(".agritrace-*"))
    book = load_workbook(files[0])
    assert book.sheetnames == ["codes", "CN", "about"]
    rows = list(book["codes"].values)
    headers = [col["header"] for col in default_mapping()["columns"]]
    assert list(rows[0]) == headers
    row = dict(zip(headers, rows[1], strict=True))
    assert row["STT"] == 1 and row["Mã số"] == area.code and row["Tình trạng"] == "issued"
    assert row["Tên vùng trồng/cơ sở đóng gói"] == area.name and row["Thị trường"] == "CN"
    about = {r[0]: r[2] for r in list(book["about"].values)[1:]}
    assert about["code"].startswith("unconfirmed")
    # The administrator's own mapping replaces the default one.
    c.columns = [{"key": "code", "header": "Code"}, {"key": "status", "header": "State"}]
    c.save()
    from agritrace.exchange.filedrop import write_code_list

    again = write_code_list(c, [Delivery.objects.get().message])
    assert again == files[0]  # the same messages: the same file, rewritten
    assert list(load_workbook(again)["codes"].values) == [("Code", "State"), (area.code, "issued")]


def test_a_file_drop_without_its_folder_retries_with_the_error(world, tmp_path):
    connector("file_drop", url="", folder=str(tmp_path / "missing"))
    area, app = make_area(world)
    walk_to_issued(world, app)
    assert delivery.deliver().failed == 1
    assert "no such folder" in Delivery.objects.get().last_error


def test_an_address_that_is_not_http_is_never_opened(db):
    with pytest.raises(ValueError):
        connectors.http("GET", "file:///etc/passwd", None, {}, 1)


def test_the_epcis_document_carries_the_events_in_order(db):
    from agritrace.exchange.outbox import record

    messages = [record("epcis.event", f"s{n}", {"event": {"n": n}}, f"k{n}") for n in range(3)]
    doc = connectors.epcis_document(messages)
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"] == [connectors.EPCIS_CONTEXT]
    assert doc["epcisBody"]["eventList"] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_broken_answer_is_retried_with_its_error(db):
    """A receiver that answers something other than HTTP: retried, the error shown."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def answer_garbage():
        client, _addr = listener.accept()
        with client:
            client.recv(65536)
            client.sendall(b"NOT HTTP AT ALL\r\n\r\n")

    threading.Thread(target=answer_garbage, daemon=True).start()
    try:
        c = connector(url=f"http://127.0.0.1:{listener.getsockname()[1]}/epcis")
        from agritrace.exchange.outbox import record

        record("epcis.event", "lot", {"event": {}}, "garbage")
        assert delivery.deliver().failed == 1
        d = Delivery.objects.get(connector=c)
        assert d.state == DeliveryState.RETRYING and "BadStatusLine" in d.last_error
    finally:
        listener.close()
