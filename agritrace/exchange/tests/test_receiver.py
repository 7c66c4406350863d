"""The real test of the national sync: a second AgriTrace, started here as its own process on
a free loopback port with its own SQLite file database (migrated, with a ministry login whose
token may capture), is the EPCIS connector's receiver. Events captured while it is down are
retried, not lost; once it is up, one delivery run sends them; a response lost on the way
back (a proxy drops it after the receiver answered) makes the worker send the same events
again, and the receiver, which already has them (the same event hashes: duplicates), counts
each once. Every event is checked on the receiver's /epcis/events."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.exchange import delivery
from agritrace.exchange.models import Delivery, DeliveryState, OutboxMessage
from agritrace.tests.served import ROOT, Served, free_port, launch

from .conftest import capture, connector, event

pytestmark = pytest.mark.django_db

SETUP = """
from agritrace.accounts.models import ApiToken, Membership, Organisation, OrgKind, Role
from agritrace.places.models import AdminUnit
from django.contrib.auth import get_user_model
hanoi = AdminUnit.objects.get(tree="2025", level="province", name="Thành phố Hà Nội")
org = Organisation.objects.create(name="National portal", kind=OrgKind.MINISTRY, unit=hanoi)
user = get_user_model().objects.create_user(username="portal", password="pw-Portal-123")
Membership.objects.create(user=user, organisation=org, role=Role.OFFICER)
print(ApiToken.issue(user, "sync from the province")[1])
"""


def _environment(tmp_path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agritrace.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'receiver.sqlite3'}",
        "AGRITRACE_VAR_DIR": str(tmp_path / "var"),
        "AGRITRACE_DEBUG": "false",
        "AGRITRACE_TASK_RUNNER": "thread",
    }


def _manage(tmp_path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def start_receiver(tmp_path, port: int) -> Served:
    log = tmp_path / f"receiver-{time.monotonic_ns()}.log"
    return launch(_environment(tmp_path), port, log)


class LosingProxy:
    """Forwards each connection to the receiver; for the first `lose` requests it reads the
    receiver's whole answer and then closes the sender's connection without passing it on:
    the receiver has done the work, the sender never hears of it."""

    def __init__(self, target_port: int, lose: int = 1):
        self.target_port, self.lose, self.forwarded = target_port, lose, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(client,), daemon=True).start()

    def _one(self, client: socket.socket):
        with client:
            request = _read_http(client)
            with socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
                upstream.sendall(request)
                answer = _read_http(upstream)
            self.forwarded += 1
            if self.lose > 0:
                self.lose -= 1
                return  # the answer is lost
            client.sendall(answer)

    def close(self):
        self.listener.close()


def _read_http(sock: socket.socket) -> bytes:
    """One HTTP/1.x message (headers and a Content-Length body) from the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def received_events(receiver: Served, token: str) -> list[dict]:
    status, body = receiver.get("/epcis/events?perPage=1000", {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return json.loads(body)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def test_every_event_arrives_once_through_a_receiver_down_and_a_lost_response(world, tmp_path):
    _manage(tmp_path, "migrate", "-v0")
    token = _manage(tmp_path, "shell", "-c", SETUP).strip().splitlines()[-1]
    port = free_port()
    epcis = connector(
        "epcis",
        url=f"http://127.0.0.1:{port}/epcis",
        token=token,
        max_attempts=20,
        backoff_base_seconds=60,
        backoff_cap_seconds=600,
        batch_size=3,
    )
    # The receiver is down: the events are kept and retried.
    first = [event() for _ in range(5)]
    capture(world, *first[:3])
    capture(world, *first[3:])
    now = timezone.now()
    summary = delivery.deliver(now=now)
    assert summary.delivered == 0 and summary.failed == 5
    assert "Connection refused" in Delivery.objects.first().last_error
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.RETRYING}
    # Still down at the next attempt: attempts count up, nothing is lost.
    delivery.deliver(now=now + timedelta(minutes=1))
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {2}

    receiver = start_receiver(tmp_path, port)
    proxy = None
    try:
        assert received_events(receiver, token) == []
        summary = delivery.deliver(now=now + timedelta(minutes=10))
        assert summary.delivered == 5, summary.errors
        got = received_events(receiver, token)
        sent_ids = {m.payload["event"]["eventID"] for m in OutboxMessage.objects.all()}
        assert sorted(e["eventID"] for e in got) == sorted(sent_ids)

        # A response lost on the way back: the receiver stored the events, the sender saw an
        # error and sends them again; the receiver keeps one of each.
        proxy = LosingProxy(port, lose=1)
        epcis.url = f"http://127.0.0.1:{proxy.port}/epcis"
        epcis.save()
        second = [event() for _ in range(3)]
        capture(world, *second)
        later = now + timedelta(minutes=20)
        summary = delivery.deliver(now=later)
        assert summary.delivered == 0 and summary.failed == 3
        assert proxy.forwarded == 1
        assert len(received_events(receiver, token)) == 8  # the receiver has them already
        summary = delivery.deliver(now=later + timedelta(minutes=5))
        assert summary.delivered == 3, summary.errors
        assert proxy.forwarded == 2
        got = received_events(receiver, token)
        ids = [e["eventID"] for e in got]
        assert len(ids) == len(set(ids)) == 8
        assert set(ids) == {m.payload["event"]["eventID"] for m in OutboxMessage.objects.all()}
        assert sorted(e["epcList"][0] for e in got) == sorted(
            e["epcList"][0] for e in first + second
        )
        assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
        # The receiver's capture jobs: the repeated one stored nothing new.
        status, body = receiver.get("/epcis/capture", {"Authorization": f"Bearer {token}"})
        jobs = json.loads(body)
        assert sum(j["storedCount"] for j in jobs) == 8
        assert sum(j["duplicateCount"] for j in jobs) == 3
    finally:
        if proxy is not None:
            proxy.close()
        receiver.stop()
