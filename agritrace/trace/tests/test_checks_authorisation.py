"""A packing judged by the authorisation in force on the packing's day: a later withdrawal
keeps the earlier days linked (issue 19, wrong answer 3)."""

from datetime import date

import pytest
from django.utils import timezone

from agritrace.registry.models import CodeAuthorisation, Market
from agritrace.trace.models import EventFlag

from .test_checks import capture, chain, reg  # noqa: F401 (reg is a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]


def _authorise(world, reg, withdrawn_from):  # noqa: F811
    reg.contract.delete()
    CodeAuthorisation.objects.create(
        area=reg.area,
        grantee=world.orgs["packing"],
        market=Market.objects.get(code="CN"),
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 12, 31),
        withdrawn_at=timezone.now(),
        withdrawn_from=withdrawn_from,
    )


def test_a_withdrawal_after_the_packing_keeps_it_linked(world, reg):  # noqa: F811
    _authorise(world, reg, date(2025, 9, 1))  # the packing is on 2 June 2025
    capture(world, *chain())
    assert not EventFlag.objects.filter(rule="packing_unlinked").exists()


def test_a_withdrawal_before_the_packing_unlinks_it(world, reg):  # noqa: F811
    _authorise(world, reg, date(2025, 6, 1))
    capture(world, *chain())
    assert EventFlag.objects.filter(rule="packing_unlinked").count() == 2
