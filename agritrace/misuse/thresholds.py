"""The authority's edits of a rule: its thresholds and whether it runs. Thresholds keep the
names the rule ships with (`data/rules.json`); each is a positive number. Audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.audit.services import record, snapshot

from . import access
from .models import Rule
from .rules import rule_definitions


def shipped_names(rule: Rule) -> set[str]:
    """The threshold names a rule knows (those it ships with, and any it has now)."""
    shipped = {d["code"]: d.get("thresholds", {}) for d in rule_definitions()}
    return set(shipped.get(rule.code, {})) | set(rule.thresholds or {})


def visible_rules(actor: Actor):
    access.require_see(actor)
    return Rule.objects.all()


@transaction.atomic
def update_rule(
    actor: Actor, code: str, thresholds: dict | None = None, enabled: bool | None = None
) -> Rule:
    """Set some of a rule's thresholds and/or switch it on or off."""
    access.require(actor, "edit_rules")
    rule = get_object_or_404(Rule.objects.select_for_update(), code=code)
    before = snapshot(rule)
    if thresholds is not None:
        if not isinstance(thresholds, dict):
            raise ValidationError({"thresholds": _("Give the thresholds by name.")})
        known = shipped_names(rule)
        errors = []
        new = dict(rule.thresholds or {})
        for name, value in thresholds.items():
            if name not in known:
                errors.append(_("%(name)s is not a threshold of this rule.") % {"name": name})
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = None
            if number is None or isinstance(value, bool) or not number > 0:
                errors.append(_("%(name)s must be a positive number.") % {"name": name})
                continue
            new[name] = int(number) if number.is_integer() else number
        if errors:
            raise ValidationError({"thresholds": errors})
        rule.thresholds = new
    if enabled is not None:
        rule.enabled = bool(enabled)
    rule.updated_at = timezone.now()
    rule.updated_by = actor.user
    rule.save()
    record(actor.user, "misuse_rule.update", rule, before, snapshot(rule))
    return rule
