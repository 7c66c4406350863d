"""What a stamp's scans say, kept incrementally: the first scan, how many, the distinct visitors
and what the suspected-copy rule needs, in the shared cache (one entry per scanned stamp).

A scan reads the entry, adds itself and writes it back: no query of the scan table per scan,
however many scans a stamp has, and the answer does not wait for the buffered scan log
(scanlog.py). An entry missing (never scanned in this cache's life, evicted, expired) is
rebuilt once from the table, the same state the incremental updates would have built.

The copy rule (services.COPY_RULES) evaluated incrementally, equal to services.copy_reason over
the whole history: distinct clients within the window (the clients' latest scans are kept,
pruned to the window), distinct places (kept up to one more than the limit), and the speed
between each placed scan and the placed scan before it.

Between processes the update is a read and a write, not a transaction: two scans of one stamp
in the same millisecond in two processes may count as one in the entry (the table has both).
The rule is about tens of clients over days; a lost increment delays an alert by one scan.
Visitors are counted exactly up to VISITOR_CAP distinct clients, then each scan by a client
not among the remembered ones counts as a new visitor.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from .models import Scan

VISITOR_CAP = 1000
#: Scans read from the table to rebuild a missing entry (oldest first after the first one).
REBUILD_LIMIT = 5000


def key(stamp_id: int) -> str:
    return f"stamps:scans:{stamp_id}"


def _ttl(rules: dict) -> int:
    return int(rules["window_hours"] * 3600) + 24 * 3600


def empty() -> dict:
    return {
        "first": None,  # (at, lat, lon)
        "count": 0,
        "visitors": set(),
        "visitors_over": 0,
        "recent": {},  # client -> latest scan time
        "places": set(),
        "last_placed": None,  # (at, lat, lon)
    }


def _distance_km(lat1, lon1, lat2, lon2) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (lat1, lon1, lat2, lon2)))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _place(state: dict, at: datetime, lat: Decimal, lon: Decimal, rules: dict) -> str | None:
    """A scan with a place: distinct places and the speed from the previous placed scan."""
    reason = None
    places = state["places"]
    if len(places) <= rules["max_places"]:
        places.add((lat, lon))
    if len(places) > rules["max_places"]:
        reason = f"{len(places)} places"
    last = state["last_placed"]
    if last is not None and reason is None:
        before, after = (last, (at, lat, lon)) if last[0] <= at else ((at, lat, lon), last)
        km = _distance_km(before[1], before[2], after[1], after[2])
        if km >= rules["min_distance_km"]:
            hours = max((after[0] - before[0]).total_seconds() / 3600, 1 / 60)
            if km / hours > rules["max_speed_kmh"]:
                reason = f"{km:.0f} km in {hours * 60:.0f} min"
    if last is None or at >= last[0]:
        state["last_placed"] = (at, lat, lon)
    return reason


def apply(
    state: dict, at: datetime, client: str, lat, lon, rules: dict, now: datetime
) -> str | None:
    """Add one scan to the state; returns why the stamp now looks like a copy, or None."""
    if state["first"] is None or at < state["first"][0]:
        state["first"] = (at, lat, lon)
    state["count"] += 1
    visitors = state["visitors"]
    if client not in visitors:
        if len(visitors) < VISITOR_CAP:
            visitors.add(client)
        else:
            state["visitors_over"] += 1
    window = now - timedelta(hours=rules["window_hours"])
    recent = state["recent"]
    if at >= window:
        recent[client] = max(at, recent.get(client, at))
    if len(recent) > rules["max_clients"]:
        for c in [c for c, seen in recent.items() if seen < window]:
            del recent[c]
    reason = None
    if len(recent) > rules["max_clients"]:
        reason = f"{len(recent)} clients in {rules['window_hours']} h"
    if lat is not None and lon is not None:
        reason = reason or _place(state, at, lat, lon, rules)
    return reason


def add_place(state: dict, at: datetime, lat, lon, rules: dict) -> str | None:
    """A place given afterwards to a scan already counted (the person shared it)."""
    if state["first"] is not None and state["first"][0] == at and state["first"][1] is None:
        state["first"] = (at, lat, lon)
    return _place(state, at, lat, lon, rules)


def rebuild(stamp_id: int, rules: dict, now: datetime) -> tuple[dict, str | None]:
    """The state from the table (a missing entry)."""
    state = empty()
    reason = None
    rows = Scan.objects.filter(stamp_id=stamp_id).order_by("-at", "-pk")[:REBUILD_LIMIT]
    for at, client, lat, lon in reversed(list(rows.values_list("at", "client", "lat", "lon"))):
        reason = apply(state, at, client, lat, lon, rules, now) or reason
    if state["count"] >= REBUILD_LIMIT:  # the first scan is older than what was read
        first = Scan.objects.filter(stamp_id=stamp_id).order_by("at", "pk").first()
        state["first"] = (first.at, first.lat, first.lon)
        state["count"] = Scan.objects.filter(stamp_id=stamp_id).count()
    return state, reason


def load(stamp_id: int, rules: dict, now: datetime) -> tuple[dict, str | None]:
    state = cache.get(key(stamp_id))
    if state is None:
        return rebuild(stamp_id, rules, now)
    return state, None


def save(stamp_id: int, state: dict, rules: dict) -> None:
    cache.set(key(stamp_id), state, _ttl(rules))


def forget(stamp_id: int) -> None:
    cache.delete(key(stamp_id))


def record(
    stamp_id: int, client: str, at: datetime, lat, lon, rules: dict
) -> tuple[dict, str | None]:
    """Add a scan (already in the table or the buffer, or about to be) to the stamp's state and
    keep it; returns the state and the copy reason if the rule now says copy."""
    now = timezone.now()
    cached = cache.get(key(stamp_id))
    if cached is None:
        # rebuilt from the table; a scan written synchronously is already in it
        state, reason = rebuild(stamp_id, rules, now)
        if not _has(state, at, client):
            reason = apply(state, at, client, lat, lon, rules, now) or reason
    else:
        state = cached
        reason = apply(state, at, client, lat, lon, rules, now)
    save(stamp_id, state, rules)
    return state, reason


def _has(state: dict, at: datetime, client: str) -> bool:
    return state["recent"].get(client) == at or (
        state["first"] is not None and state["first"][0] == at
    )


def first_scan(state: dict) -> Scan | None:
    """The first scan as the page shows it (an unsaved Scan: time and coarse place)."""
    if state["first"] is None:
        return None
    at, lat, lon = state["first"]
    return Scan(at=at, lat=lat, lon=lon)


def visitor_count(state: dict) -> int:
    return len(state["visitors"]) + state["visitors_over"]
