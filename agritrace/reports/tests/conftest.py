import pytest

from conftest import make_area, walk_to_issued


@pytest.fixture
def issued_area(world):
    """An issued durian area of coop in the first commune (two households)."""
    area, app = make_area(world, households=2, declared=3)
    walk_to_issued(world, app)
    area.refresh_from_db()
    return area
