"""The public lookup's rate limit, measured on a simulated clock: at what steady rate a client
starts getting 429 (above AGRITRACE_STAMP_RATE_LIMIT per minute, default 120: 2 per second),
that a person scanning normally never sees one, and what the 429 says (a JSON body with how
long to wait, and Retry-After, the seconds to the end of the client's minute)."""

from unittest import mock

import pytest
from django.test import Client

from agritrace.stamps import views

from .test_lookup import open_page, stamps  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
START = 1_800_000_000.0  # a minute's start on the simulated clock (divisible by 60)


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def _first_refusal(address: str, per_second: float, seconds: float, start: float = START):
    """Ask /api/stamps/lookup at a steady rate for `seconds`: (request number, second) of
    the first 429, or None."""
    client = Client(REMOTE_ADDR=address)
    clock = Clock(start)
    with mock.patch.object(views, "_clock", clock):
        for n in range(int(seconds * per_second)):
            clock.at = start + n / per_second
            response = client.get("/api/stamps/lookup", {"serial": "unknownserial1"})
            if response.status_code == 429:
                return n + 1, clock.at - start
            assert response.status_code == 400  # a malformed serial, after the limit
    return None


def test_a_steady_client_is_refused_above_two_requests_a_second(settings):
    settings.AGRITRACE_STAMP_RATE_LIMIT = 120
    measured = {
        rate: _first_refusal(f"198.51.100.{i}", rate, 60)
        for i, rate in enumerate((1, 2, 2.5, 3), start=1)
    }
    print("requests/s -> first 429 (request, second):", measured)
    assert measured[1] is None and measured[2] is None  # 60 and 120 in the minute
    assert measured[2.5] == (121, pytest.approx(48.0))  # the 121st of the minute
    assert measured[3] == (121, pytest.approx(40.0))


def test_a_person_scanning_every_two_seconds_never_sees_a_429(stamps, settings):  # noqa: F811
    settings.AGRITRACE_STAMP_RATE_LIMIT = 120
    client = Client(REMOTE_ADDR="198.51.100.20", HTTP_ACCEPT_LANGUAGE="en")
    clock = Clock(START + 45)  # across a minute's boundary
    statuses = []
    with mock.patch.object(views, "_clock", clock):
        for n in range(30):
            clock.at = START + 45 + 2 * n
            statuses.append(open_page(stamps[n % len(stamps)], client=client).status_code)
    assert statuses == [200] * 30


def test_the_429_says_how_long_to_wait_as_json_and_retry_after(stamps, settings):  # noqa: F811
    settings.AGRITRACE_STAMP_RATE_LIMIT = 2
    client = Client(REMOTE_ADDR="198.51.100.30")
    with mock.patch.object(views, "_clock", Clock(START + 47.5)):
        for _n in range(2):
            assert client.get("/api/stamps/lookup", {"uri": stamps[0]}).status_code == 200
        refused = client.get("/api/stamps/lookup", {"uri": stamps[0]})
        page = open_page(stamps[0], client=client)
    assert refused.status_code == 429 and refused["Content-Type"] == "application/json"
    assert refused["Retry-After"] == "13"  # 12.5 s to the minute's end, rounded up
    body = refused.json()
    assert body["retry_after"] == 13 and body["detail"] and body["errors"] == {}
    assert page.status_code == 429 and page["Retry-After"] == "13"
    # the next minute lets the client in again
    with mock.patch.object(views, "_clock", Clock(START + 60)):
        assert client.get("/api/stamps/lookup", {"uri": stamps[0]}).status_code == 200
