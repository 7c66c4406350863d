"""The member households of a planting area, and what changing them does (issue 17 item 4).

A plot of an area belongs to one of its member households: a household that leaves the area
takes its plots out of it (the plots stay the household's, with no area), so a code never keeps
a plot of a non-member. The area is measured again.

Once the area's code is issued (or suspended) the members are part of what the authority
decided on, so changing them is a change the authority reviews (the registry's change rule,
`lifecycle.reopen_review`: a change application goes to the province, the code stays valid
while it is reviewed). Removing households from such an area is said before it is done: the
service refuses it unless the change is confirmed (`confirm=True`; the web page shows the
warning beside a confirmation box, the API answers 422 naming ``confirm``), and an issued area
keeps at least one member (to give a code up, the authority revokes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.audit.services import record

from .lifecycle import reopen_review
from .measure import measure_area
from .models import Application, CodeStatus, Household, PlantingArea, Plot

#: Codes whose members the authority decided on.
REVIEWED_STATUSES = (CodeStatus.ISSUED, CodeStatus.SUSPENDED)


@dataclass
class MembershipChange:
    """What setting an area's members to a new list would do."""

    area: PlantingArea
    before: list[int]
    after: list[Household]
    removed: list[Household] = field(default_factory=list)
    added: list[Household] = field(default_factory=list)
    plots_leaving: list[Plot] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.added)

    @property
    def reviewed(self) -> bool:
        """Is this a change of an issued code, for the authority to review?"""
        return self.changed and self.area.code_status in REVIEWED_STATUSES

    @property
    def needs_confirmation(self) -> bool:
        return self.reviewed and bool(self.removed)

    def warning(self) -> str:
        """What the change does, said before it is done."""
        names = ", ".join(h.name for h in self.removed)
        text = ngettext(
            "%(names)s leaves area %(code)s",
            "%(names)s leave area %(code)s",
            len(self.removed),
        ) % {"names": names, "code": self.area.code or self.area.name}
        if self.plots_leaving:
            text += " " + ngettext(
                "with %(n)s plot (%(plots)s), which no longer counts for the code.",
                "with %(n)s plots (%(plots)s), which no longer count for the code.",
                len(self.plots_leaving),
            ) % {
                "n": len(self.plots_leaving),
                "plots": ", ".join(p.label for p in self.plots_leaving),
            }
        else:
            text += "."
        return (
            text
            + " "
            + _(
                "The code is issued: the change goes to the authority for review (a change "
                "application). Confirm to save it."
            )
        )


def _is_member_of_representative(area: PlantingArea, households: list[Household]) -> None:
    wrong = [h for h in households if h.representative_id != area.representative_id]
    if wrong:
        raise ValidationError(
            {
                "households": _("%(name)s is not a member of this area's representative.")
                % {"name": wrong[0].name}
            }
        )


def plan(actor: Actor, area: PlantingArea, household_ids: list[int]) -> MembershipChange:
    """Check the new member list and say what setting it would do; writes nothing."""
    households = list(visible(actor, Household.objects.all()).filter(pk__in=household_ids))
    if len(households) != len(set(household_ids)):
        raise ValidationError({"households": _("Unknown household, or not yours.")})
    _is_member_of_representative(area, households)
    before = sorted(area.households.values_list("pk", flat=True))
    after_ids = {h.pk for h in households}
    removed = list(area.households.exclude(pk__in=after_ids).order_by("name", "pk"))
    added = sorted((h for h in households if h.pk not in set(before)), key=lambda h: h.pk)
    plots = list(
        Plot.objects.filter(area=area, household__in=[h.pk for h in removed]).order_by(
            "household__name", "label"
        )
    )
    change = MembershipChange(area, before, households, removed, added, plots)
    if change.reviewed and not households:
        raise ValidationError(
            {
                "households": _(
                    "An area with an issued code keeps at least one member household. To give "
                    "the code up, ask the authority to revoke it."
                )
            }
        )
    return change


@transaction.atomic
def set_members(
    actor: Actor, area: PlantingArea, household_ids: list[int], confirm: bool = False
) -> Application | None:
    """Set the area's member households (the whole list); the plots of households that leave
    leave the area. Returns the change application the authority reviews, if one was opened
    or reopened. Raises ValidationError ({"confirm": warning}) when households would leave an
    issued area without `confirm`."""
    require(actor, "edit_registry")
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area.pk)
    change = plan(actor, area, household_ids)
    if not change.changed:
        return None
    if change.needs_confirmation and not confirm:
        raise ValidationError({"confirm": change.warning()})
    plots_before = _plot_ids(area)
    area.households.set(change.after)
    leaving = [p.pk for p in change.plots_leaving]
    if leaving:
        Plot.objects.filter(pk__in=leaving).update(area=None)
        measure_area(area)
    after = sorted(h.pk for h in change.after)
    record(
        actor.user,
        "area.households",
        area,
        {"households": change.before, "plots": plots_before},
        {"households": after, "plots": _plot_ids(area)},
        change.warning() if change.needs_confirmation else "",
    )
    return reopen_review(area, actor, _("member households"))


def _plot_ids(area: PlantingArea) -> list[int]:
    return sorted(area.plots.values_list("pk", flat=True))
