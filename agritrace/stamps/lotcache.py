"""The public lookup's cache of lots: each lot's summary (services.build_lot_summary) and the
rendered lot part of the stamp page per language, in Django's cache — Redis shared by every
worker process when AGRITRACE_REDIS_URL is set (settings.CACHES), else this process's memory.

Keys carry a generation (`stamps:gen`): a change that can alter what a lot's page says — a
recall started or closed, an event declaring a lot recalled or declared erroneous, a code of
the chain suspended, reinstated or revoked (any registry.CodeStatusChange) — bumps it after its
transaction commits, so the next scan in every process that shares the cache reads fresh
entries (the old ones expire by themselves). Changes of that kind are rare next to scans, so
forgetting every lot at once costs one rebuild per lot scanned afterwards. A voided stamp or a
suspected copy is on the stamp's own row, read at every scan: nothing cached to forget. Other
changes of a lot (a new event of its chain) show within AGRITRACE_STAMP_SUMMARY_TTL seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "stamps:gen"


def summary_ttl() -> int:
    return int(getattr(settings, "AGRITRACE_STAMP_SUMMARY_TTL", 60))


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY) or 1
    return int(value)


def bump() -> None:
    """Forget every cached lot now (in every process sharing the cache)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from the old
        cache.add(GENERATION_KEY, 1, None)
        cache.incr(GENERATION_KEY)


def bump_on_commit() -> None:
    """Forget every cached lot once the current transaction commits (at once outside one)."""
    transaction.on_commit(bump)


def summary(lot_id: int, build: Callable[[int], dict]) -> dict:
    key = f"stamps:lot:{generation()}:{lot_id}"
    value = cache.get(key)
    if value is None:
        value = build(lot_id)
        cache.set(key, value, summary_ttl())
    return value


def fragment(lot_id: int, lang: str, variant: str, render: Callable[[], str]) -> str:
    """The rendered lot part of the page for one language (`variant`: what else it shows, such
    as the lot code as written on the stamp)."""
    tag = hashlib.blake2s(variant.encode(), digest_size=8).hexdigest()
    key = f"stamps:lotpage:{generation()}:{lot_id}:{lang}:{tag}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, summary_ttl())
    return html


# ------------------------------------------------------------------ signal receivers


def on_recall_changed(sender, **kwargs) -> None:
    """trace.signals.recall_changed (sent after the commit)."""
    bump()


def on_events_captured(sender, event_ids=(), **kwargs) -> None:
    """trace.signals.events_captured: an event declaring a lot recalled, or declaring another
    event erroneous, changes what lots' pages say."""
    from django.db.models import Q

    from agritrace.trace.models import Event

    ids = list(event_ids)
    if not ids:
        return
    if Event.objects.filter(
        Q(disposition="recalled") | Q(error_declaration__isnull=False), pk__in=ids
    ).exists():
        bump()


def on_code_status_change(sender, created=False, **kwargs) -> None:
    """post_save of registry.CodeStatusChange: a code suspended, reinstated, revoked…"""
    bump_on_commit()
