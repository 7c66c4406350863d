"""The grouped robust statistics equal the direct computation on every reduced list."""

import random

import pytest

from agritrace.misuse.detect.robust import Group, median_and_mad


@pytest.mark.parametrize("seed", range(30))
def test_without_one_value_equals_the_direct_median_and_mad(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 40)
    pool = [rng.choice([1.0, 2.5, 3.0]) for _ in range(n // 3)]
    values = pool + [rng.uniform(0, 100) for _ in range(n - len(pool))]
    if seed % 5 == 0:
        values = [round(v) for v in values]  # many ties
    group = Group(values)
    for k, value in enumerate(values):
        others = values[:k] + values[k + 1 :]
        assert group.without(value) == median_and_mad(others)


def test_a_value_not_in_the_group_is_refused():
    with pytest.raises(ValueError):
        Group([1.0, 2.0]).without(3.0)
    with pytest.raises(ValueError):
        Group([1.0]).without(1.0)
