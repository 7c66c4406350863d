"""Names in the page's language for the EPCIS and CBV 2.0 terms shown on the trace pages:
event types, actions, business steps and dispositions. The pages show the name with the
standard term beside it ("Xuất hàng (shipping)"), so that a reader of either knows the
other. A term without a name here (a rare CBV word, or a value outside the CBV) is shown as
it is."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from . import vocab

EVENT_TYPES = {
    "ObjectEvent": _("Object event"),
    "AggregationEvent": _("Aggregation event"),
    "TransactionEvent": _("Transaction event"),
    "TransformationEvent": _("Transformation event"),
    "AssociationEvent": _("Association event"),
}

ACTIONS = {
    "ADD": _("added"),
    "OBSERVE": _("observed"),
    "DELETE": _("removed"),
}

BIZ_STEPS = {
    "accepting": _("Accepting"),
    "arriving": _("Arriving"),
    "assembling": _("Assembling"),
    "collecting": _("Collecting"),
    "commissioning": _("Creating the lot (harvest)"),
    "consigning": _("Consigning"),
    "creating_class_instance": _("Processing (a new lot made from others)"),
    "decommissioning": _("Taking out of use"),
    "departing": _("Departing"),
    "destroying": _("Destroying"),
    "disassembling": _("Disassembling"),
    "holding": _("Holding"),
    "inspecting": _("Inspecting"),
    "loading": _("Loading"),
    "other": _("Other step"),
    "packing": _("Packing"),
    "picking": _("Picking"),
    "receiving": _("Receiving"),
    "removing": _("Removing"),
    "repackaging": _("Repackaging"),
    "retail_selling": _("Retail selling"),
    "sampling": _("Sampling"),
    "shipping": _("Shipping"),
    "staging_outbound": _("Staging for dispatch"),
    "stocking": _("Stocking"),
    "storing": _("Storing"),
    "transporting": _("Transporting"),
    "unloading": _("Unloading"),
    "unpacking": _("Unpacking"),
    "void_shipping": _("Shipment cancelled"),
}

DISPOSITIONS = {
    "active": _("Active"),
    "available": _("Available"),
    "conformant": _("Conformant"),
    "damaged": _("Damaged"),
    "destroyed": _("Destroyed"),
    "disposed": _("Disposed of"),
    "expired": _("Expired"),
    "in_progress": _("In progress"),
    "in_transit": _("In transit"),
    "inactive": _("Inactive"),
    "non_conformant": _("Not conformant"),
    "non_sellable_other": _("Not for sale"),
    "recalled": _("Recalled"),
    "returned": _("Returned"),
    "sellable_accessible": _("For sale"),
    "sellable_not_accessible": _("For sale, not yet accessible"),
    "stolen": _("Stolen"),
    "unavailable": _("Unavailable"),
    "unknown": _("Unknown"),
}

_TABLES = {
    "type": EVENT_TYPES,
    "action": ACTIONS,
    "bizStep": BIZ_STEPS,
    "disposition": DISPOSITIONS,
}


def name(kind: str, term: str | None) -> str:
    """The name of a term in the page's language, or the term itself when it has none."""
    if not term:
        return ""
    key = vocab.compact(kind, term) if kind in vocab.KINDS else term
    label = _TABLES[kind].get(key)
    return str(label) if label is not None else term


def with_term(kind: str, term: str | None) -> SafeString:
    """The name with the standard term beside it: `Xuất hàng <span class="cbv">(shipping)</span>`;
    the term alone when it has no name; "—" for none."""
    if not term:
        return format_html("{}", "—")
    key = vocab.compact(kind, term) if kind in vocab.KINDS else term
    label = name(kind, term)
    if label == term:
        return format_html('<span class="cbv-term">{}</span>', key)
    return format_html('{} <span class="cbv-term muted">({})</span>', label, key)


def event_summary(event) -> SafeString:
    """An event's type and action for a list: `Object event, observed (ObjectEvent OBSERVE)`."""
    label = name("type", event.event_type)
    terms = event.event_type + (f" {event.action}" if event.action else "")
    if event.action:
        label = f"{label}, {name('action', event.action)}"
    return format_html('{} <span class="cbv-term muted">({})</span>', label, terms)


def biz_step_choices() -> list[tuple[str, str]]:
    """The business steps for the event list's filter: named ones first, by name, then the
    other CBV words."""
    named = sorted(((k, f"{v} ({k})") for k, v in BIZ_STEPS.items()), key=lambda kv: kv[1])
    rest = sorted((k, k) for k in vocab.BIZ_STEPS if k not in BIZ_STEPS)
    return named + rest
