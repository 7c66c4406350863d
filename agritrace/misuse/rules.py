"""The rules as data: loaded from `data/rules.json` once (a migration and `agritrace
reference` call `load_rules`); the authority edits thresholds afterwards, and a reload never
overwrites what it set."""

import json
from functools import cache
from pathlib import Path

from .models import Rule

RULES_FILE = Path(__file__).parent / "data" / "rules.json"


def rule_definitions() -> list[dict]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]


def load_rules(rule_model=Rule) -> int:
    """Create the rules that do not exist yet; returns how many were added."""
    existing = set(rule_model.objects.values_list("code", flat=True))
    new = [
        rule_model(
            code=d["code"],
            group=d["group"],
            title=d["title"],
            description=d.get("description", ""),
            severity=d.get("severity", "medium"),
            thresholds=d.get("thresholds", {}),
            configurable=d.get("configurable", True),
            source=d.get("source", "configurable: no legal figure known"),
        )
        for d in rule_definitions()
        if d["code"] not in existing
    ]
    rule_model.objects.bulk_create(new)
    return len(new)


@cache
def _shipped_thresholds() -> dict[str, dict]:
    """The thresholds each rule ships with, read from the file once per process."""
    return {d["code"]: d.get("thresholds", {}) for d in rule_definitions()}


def threshold(rule_obj: Rule, name: str, default: float | int | None = None):
    """A rule's threshold, falling back to the shipped default when the authority removed it."""
    if name in (rule_obj.thresholds or {}):
        return rule_obj.thresholds[name]
    return _shipped_thresholds().get(rule_obj.code, {}).get(name, default)
