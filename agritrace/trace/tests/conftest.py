"""Fixtures of the trace tests: the GS1 conformance documents, API clients, small documents."""

import copy
import json
from pathlib import Path

import pytest
from django.test import Client

from agritrace.accounts.models import ApiToken


def _conformance_dir() -> Path:
    """shared/conformance/epcis beside the repository (repo root = parents[3]), or beside one
    of its parent folders (a git worktree under /work/wt/<name> reaches /work/shared)."""
    root = Path(__file__).resolve().parents[3]
    for folder in root.parents:
        candidate = folder / "shared" / "conformance" / "epcis"
        if candidate.is_dir():
            return candidate
    return root.parent / "shared" / "conformance" / "epcis"


CONFORMANCE = _conformance_dir()
SKIP_REASON = f"GS1 EPCIS conformance material not found at {CONFORMANCE}"


def conformance_documents() -> list[Path]:
    """Every EPCISDocument of the GS1 examples (the one EPCISQueryDocument left out)."""
    if not CONFORMANCE.is_dir():
        return []
    found = []
    for path in sorted((CONFORMANCE / "JSON").rglob("*.jsonld")):
        if json.loads(path.read_text(encoding="utf-8")).get("type") == "EPCISDocument":
            found.append(path)
    return found


def needs_conformance():
    return pytest.mark.skipif(not CONFORMANCE.is_dir(), reason=SKIP_REASON)


def bearer_client(world, key: str) -> Client:
    """A client authenticated as a machine, with the user's API token."""
    _token, raw = ApiToken.issue(world.users[key], "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def session_client(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def document(*events: dict, context=None) -> dict:
    return {
        "@context": context or CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-06-01T08:00:00+07:00",
        "epcisBody": {"eventList": [copy.deepcopy(e) for e in events]},
    }


def harvest(lot: str, location: str, *, kg=500, when="2025-06-01T06:00:00+07:00") -> dict:
    """A harvest lot commissioned at a planting area."""
    return {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}],
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
    }


def packing(
    inputs: list[str], output: str, location: str, *, kg=400, when="2025-06-02T09:00:00+07:00"
) -> dict:
    return {
        "type": "TransformationEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "packing",
        "inputQuantityList": [{"epcClass": i, "quantity": 500, "uom": "KGM"} for i in inputs],
        "outputQuantityList": [{"epcClass": output, "quantity": kg, "uom": "KGM"}],
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
    }


def shipping(lot: str, sscc: str, location: str, *, when="2025-06-03T10:00:00+07:00") -> dict:
    return {
        "type": "AggregationEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "parentID": sscc,
        "childQuantityList": [{"epcClass": lot, "quantity": 400, "uom": "KGM"}],
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": location},
    }


@pytest.fixture
def post_document():
    def post(client: Client, doc, path="/api/trace/capture"):
        body = doc if isinstance(doc, bytes | str) else json.dumps(doc)
        return client.post(path, body, content_type="application/ld+json")

    return post
