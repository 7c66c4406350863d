"""The lot graph (LotLink): the lots behind or ahead of given lots, transitively."""

from collections.abc import Iterable

from .identifiers import canonical_epc
from .models import Lot, LotLink


def _walk(start: set[int], forward: bool, max_depth: int) -> set[int]:
    seen = set(start)
    frontier = set(start)
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        if forward:
            pairs = LotLink.objects.filter(source_id__in=frontier).values_list("target_id")
        else:
            pairs = LotLink.objects.filter(target_id__in=frontier).values_list("source_id")
        nxt = {row[0] for row in pairs} - seen
        seen |= nxt
        frontier = nxt
    return seen


def lot_ids_for(uris: Iterable[str]) -> set[int]:
    return set(
        Lot.objects.filter(uri__in=[canonical_epc(u) for u in uris]).values_list("id", flat=True)
    )


def backward_lot_ids(lot_ids: set[int], max_depth: int = 50) -> set[int]:
    """Every lot the given lots were made from or contain, transitively (them included)."""
    return _walk(lot_ids, forward=False, max_depth=max_depth)


def forward_lot_ids(lot_ids: set[int], max_depth: int = 50) -> set[int]:
    """Every lot the given lots went into, transitively (them included)."""
    return _walk(lot_ids, forward=True, max_depth=max_depth)
