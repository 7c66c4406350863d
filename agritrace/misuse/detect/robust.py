"""Robust statistics of a group of values, each judged against the others.

`volume_anomaly` scores every area's kilograms per hectare against the median and the median
absolute deviation (MAD) of its commune's other areas of the same crop. Computing both afresh
for each area costs O(n) per area, O(n²) for a commune: at 100,000 codes in one commune that
is 10¹⁰ steps. `Group` sorts the values once and gives the median and the MAD of the group
without one value in O(log n), with the same floating-point operations as
`statistics.median` on the reduced list, so the results are identical (tests compare them)."""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable


def robust_z(value: float, median: float, mad: float) -> float:
    """How many robust standard deviations (1.4826 × MAD) `value` is above the median; when
    the MAD is 0, a tenth of the median (at least 1) is the scale."""
    scale = 1.4826 * mad if mad else max(abs(median) * 0.1, 1.0)
    return (value - median) / scale


def median_and_mad(sample: list[float]) -> tuple[float, float]:
    """The median and the MAD of a non-empty sample (the direct way)."""
    median = statistics.median(sample)
    return median, statistics.median([abs(x - median) for x in sample])


class Group:
    """A multiset of values; `without(v)` is the (median, MAD) of the others (one copy of
    `v` removed; `v` must be in the group), `size` how many values it holds."""

    def __init__(self, values: Iterable[float]):
        self.values = sorted(values)
        self.size = len(self.values)

    def without(self, value: float) -> tuple[float, float]:
        s = self.values
        i = bisect.bisect_left(s, value)
        if i >= len(s) or s[i] != value:
            raise ValueError("the value is not in the group")
        m = len(s) - 1
        if m <= 0:
            raise ValueError("no other value in the group")

        def t(k: int) -> float:  # the k-th of the sorted others
            return s[k] if k < i else s[k + 1]

        median = t(m // 2) if m % 2 else (t(m // 2 - 1) + t(m // 2)) / 2
        # deviations: left of the median (growing leftwards) and right of it (growing
        # rightwards); the k-th smallest of the two sorted runs by binary search
        j = bisect.bisect_left(s, median)  # first index of s with s[j] >= median
        j_t = j if j <= i else j - 1  # the same position among the others
        left_n, right_n = j_t, m - j_t

        def left(p: int) -> float:
            return abs(t(j_t - 1 - p) - median)

        def right(q: int) -> float:
            return abs(t(j_t + q) - median)

        def kth(k: int) -> float:
            lo, hi = max(0, k + 1 - right_n), min(k + 1, left_n)
            while lo < hi:  # a: how many of the k+1 smallest come from the left run
                a = (lo + hi) // 2
                if right(k - a) > left(a):  # taking more from the left is right
                    lo = a + 1
                else:
                    hi = a
            a = lo
            candidates = []
            if a > 0:
                candidates.append(left(a - 1))
            if k + 1 - a > 0:
                candidates.append(right(k - a))
            return max(candidates)

        mad = kth(m // 2) if m % 2 else (kth(m // 2 - 1) + kth(m // 2)) / 2
        return median, mad
