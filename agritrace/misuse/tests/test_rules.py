import pytest

from agritrace.misuse.models import Rule
from agritrace.misuse.rules import load_rules, rule_definitions, threshold

pytestmark = pytest.mark.django_db


def test_every_rule_is_loaded_with_its_thresholds_and_marked_configurable():
    codes = {d["code"] for d in rule_definitions()}
    assert set(Rule.objects.values_list("code", flat=True)) == codes
    volume = Rule.objects.get(code="area_volume_over_yield")
    assert volume.thresholds["tolerance"] == 1.2
    assert volume.configurable and "no legal figure" in volume.source


def test_a_reload_keeps_what_the_authority_set():
    volume = Rule.objects.get(code="area_volume_over_yield")
    volume.thresholds = {"tolerance": 1.5}
    volume.save()
    assert load_rules() == 0
    volume.refresh_from_db()
    assert threshold(volume, "tolerance") == 1.5
    volume.thresholds = {}
    assert threshold(volume, "tolerance") == 1.2


def test_every_shipped_title_is_a_msgid():
    """rule_titles.py lists the titles of data/rules.json, so each has a translation."""
    from agritrace.misuse.rule_titles import TITLES
    from agritrace.misuse.rules import rule_definitions

    assert sorted(TITLES) == sorted(r["title"] for r in rule_definitions())
