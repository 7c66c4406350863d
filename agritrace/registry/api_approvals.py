"""The importing countries' approvals of a packing house's code over the API, mirroring the
planting area's (POST /api/areas/{id}/market-approvals): POST and GET
/api/packing-houses/{id}/market-approvals (each target market with its approval and the steps
the caller may record now; an area's are in GET /api/areas/{id}, `markets`)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from agritrace.accounts.access import Actor, get_visible
from agritrace.apiutil import actor

from . import services
from .models import ApprovalStatus, CodeHolder, Market, PackingHouse
from .schemas import CatalogueRef, MarketApprovalIn, MarketApprovalOut

router = Router(tags=["codes"])


class ApprovalRowOut(Schema):
    market: CatalogueRef
    status: str
    submitted_at: dt.date | None
    sent_at: dt.date | None
    decided_at: dt.date | None
    importer_list_ref: str
    allowed_moves: list[str]


def _market(market_id: int) -> Market:
    market = Market.objects.filter(pk=market_id).first()
    if market is None:
        raise ValidationError({"market": _("Unknown market.")})
    return market


def _rows(current: Actor, holder: CodeHolder) -> list[dict]:
    approvals = {a.market_id: a for a in holder.approvals.select_related("market")}
    markets = {m.pk: m for m in holder.markets.all()}
    markets.update({a.market_id: a.market for a in approvals.values()})
    rows = []
    for market in sorted(markets.values(), key=lambda m: m.code):
        approval = approvals.get(market.pk)
        rows.append(
            {
                "market": market,
                "status": approval.status if approval else ApprovalStatus.PREPARING,
                "submitted_at": approval.submitted_at if approval else None,
                "sent_at": approval.sent_at if approval else None,
                "decided_at": approval.decided_at if approval else None,
                "importer_list_ref": approval.importer_list_ref if approval else "",
                "allowed_moves": services.allowed_approval_moves(current, holder, market),
            }
        )
    return rows


@router.post("/packing-houses/{house_id}/market-approvals", response=MarketApprovalOut)
def move_house_approval(request: HttpRequest, house_id: int, payload: MarketApprovalIn):
    """One step of the importing country's approval of the packing house's code: the
    province submits, the Plant Protection Department sends, approves (with the importer's
    list reference) or refuses; withdraw."""
    current = actor(request)
    house = get_visible(current, PackingHouse.objects.all(), pk=house_id)
    return services.move_market_approval(
        current,
        house,
        _market(payload.market),
        payload.move,
        payload.on,
        payload.importer_list_ref,
        payload.note,
    )


@router.get("/packing-houses/{house_id}/market-approvals", response=list[ApprovalRowOut])
def house_approvals(request: HttpRequest, house_id: int):
    current = actor(request)
    return _rows(current, get_visible(current, PackingHouse.objects.all(), pk=house_id))
