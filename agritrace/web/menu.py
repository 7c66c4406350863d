"""Each role's menu: the pages a person can use, decided by the same access rules the pages
apply (`accounts.access.visible` and `can`, `misuse.access.may_see`,
`reports.access.may_see`, `eudr.access.may_use`, `exchange.access.may_administer`), so that
no link leads to a refusal and no page one uses is missing.

A page is offered when the person's scope of what it lists is not empty by rule (their
`visible()` queryset is not `.none()`), or when they may take the action the page is for.
Pages that would show a person only the public's view of the registry (a laboratory's or a
household's list of published areas) are left to the public code register, and a household
is offered its own diary, plots and alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model
from django.db.models.query import EmptyQuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.access import Actor, can, visible
from agritrace.accounts.models import OrgKind


@dataclass(frozen=True)
class MenuLink:
    key: str
    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class _Entry:
    key: str
    label: Promise
    url_name: str
    #: the url names (exact, or prefixes ending in "-") and app names it is current on
    current_on: tuple[str, ...]
    shown: Callable[[Actor], bool]


def _sees(model_label: str) -> Callable[[Actor], bool]:
    """Whether the access rule gives the actor any scope at all over this model."""

    def check(actor: Actor) -> bool:
        from django.apps import apps

        model: type[Model] = apps.get_model(model_label)
        return not isinstance(visible(actor, model.objects.all()), EmptyQuerySet)

    return check


def _may(action: str) -> Callable[[Actor], bool]:
    return lambda actor: can(actor, action)


#: Kinds whose list of areas and packing houses is only the public's (published codes).
_PUBLIC_REGISTRY_KINDS = {OrgKind.LABORATORY, OrgKind.HOUSEHOLD}

#: Kinds that see more organisations than their own (access._organisation_filter).
_ORGANISATION_READERS = {
    OrgKind.MINISTRY,
    OrgKind.PROVINCE,
    OrgKind.PLANT_PROTECTION,
    OrgKind.COMMUNE,
    OrgKind.REPRESENTATIVE,
}


def _own_registry(actor: Actor) -> bool:
    return not actor.is_public and actor.kind not in _PUBLIC_REGISTRY_KINDS


def _is_household(actor: Actor) -> bool:
    return actor.kind == OrgKind.HOUSEHOLD


def _sees_misuse(actor: Actor) -> bool:
    from agritrace.misuse.access import may_see

    return may_see(actor)


def _sees_reports(actor: Actor) -> bool:
    from agritrace.reports.access import may_see

    return may_see(actor)


def _uses_eudr(actor: Actor) -> bool:
    from agritrace.eudr.access import may_use

    return may_use(actor)


def _runs_exchange(actor: Actor) -> bool:
    from agritrace.exchange.access import may_administer

    return may_administer(actor)


def _sees_products(actor: Actor) -> bool:
    """Processing facilities and the product catalogue: the authorities and processors."""
    return actor.kind in (
        OrgKind.MINISTRY,
        OrgKind.PROVINCE,
        OrgKind.PLANT_PROTECTION,
        OrgKind.PROCESSOR,
    )


def _supervises(actor: Actor) -> bool:
    return actor.kind != OrgKind.LABORATORY and _sees("supervision.MonitoringVisit")(actor)


def _lab_samples(actor: Actor) -> bool:
    return actor.kind == OrgKind.LABORATORY and _sees("supervision.Sample")(actor)


def _has_org(actor: Actor) -> bool:
    return not actor.is_public


_ENTRIES: list[_Entry] = [
    _Entry("dashboard", _("Dashboard"), "dashboard", ("dashboard",), _own_registry),
    _Entry("areas", _("Planting areas"), "area-list", ("area-",), _own_registry),
    _Entry(
        "packing_houses",
        _("Packing houses"),
        "packing-house-list",
        ("packing-house-",),
        _own_registry,
    ),
    _Entry(
        "applications",
        _("Applications"),
        "application-list",
        ("application-",),
        _sees("registry.Application"),
    ),
    _Entry(
        "code_import", _("Import existing codes"), "code-import", ("code-import",), _may("decide")
    ),
    _Entry(
        "authorisations",
        _("Authorisations"),
        "authorisation-list",
        ("authorisation-",),
        _sees("registry.CodeAuthorisation"),
    ),
    _Entry(
        "households",
        _("Households"),
        "household-list",
        ("household-",),
        lambda a: not _is_household(a) and _sees("registry.Household")(a),
    ),
    _Entry(
        "organisations",
        _("Organisations"),
        "organisation-list",
        ("organisation-",),
        lambda a: a.kind in _ORGANISATION_READERS,
    ),
    _Entry(
        "diaries",
        _("Farm diaries"),
        "diary-home",
        ("diary-",),
        lambda a: not _is_household(a) and _sees("diary.DiaryEntry")(a),
    ),
    _Entry(
        "my_diary",
        _("My farm diary"),
        "diary-home",
        ("diary-",),
        lambda a: _is_household(a) and _sees("diary.DiaryEntry")(a),
    ),
    _Entry(
        "my_plots",
        _("My plots"),
        "household-list",
        ("household-",),
        lambda a: _is_household(a) and _sees("registry.Household")(a),
    ),
    _Entry("supervision", _("Supervision"), "supervision-home", ("supervision-",), _supervises),
    _Entry(
        "samples",
        _("Samples"),
        "supervision-samples",
        (
            "supervision-sample",
            "supervision-samples",
            "supervision-sample-",
            "supervision-results-",
        ),
        _lab_samples,
    ),
    _Entry("misuse", _("Misuse"), "misuse:dashboard", ("misuse:",), _sees_misuse),
    _Entry("reports", _("Targets and reports"), "reports:achieved", ("reports:",), _sees_reports),
    _Entry("trace", _("Traceability"), "trace-home", ("trace-",), _sees("trace.Event")),
    _Entry(
        "products",
        _("Products and processing"),
        "products:facilities",
        ("products:",),
        _sees_products,
    ),
    _Entry("stamps", _("Stamps"), "stamps-home", ("stamps-",), _sees("stamps.StampBatch")),
    _Entry("eudr", _("EUDR export"), "eudr:home", ("eudr:",), _uses_eudr),
    _Entry("exchange", _("National exchange"), "exchange:index", ("exchange:",), _runs_exchange),
    _Entry("inbox", _("Inbox"), "inbox", ("inbox",), _has_org),
]

#: The keys of every page a menu may offer (the tests walk them for each role).
ENTRY_KEYS = [e.key for e in _ENTRIES]


def _is_current(entry: _Entry, url_name: str, app_name: str) -> bool:
    for pattern in entry.current_on:
        if pattern.endswith(":"):
            if app_name == pattern[:-1]:
                return True
        elif pattern.endswith("-") and url_name.startswith(pattern) and not app_name:
            return True
        elif url_name == pattern and not app_name:
            return True
    return False


def _own_household_url(actor: Actor) -> str | None:
    """A household's own page (its plots), when its organisation keeps exactly one."""
    from agritrace.registry.models import Household

    ids = list(
        visible(actor, Household.objects.filter(organisation=actor.organisation)).values_list(
            "pk", flat=True
        )[:2]
    )
    return reverse("household-detail", args=[ids[0]]) if len(ids) == 1 else None


def menu_for(actor: Actor, url_name: str = "", app_name: str = "") -> list[MenuLink]:
    """The links of the actor's menu, in order, the page being shown marked current. The
    public (and a person without an organisation) gets none: the public links are always
    there in the layout."""
    if actor.is_public:
        return []
    links = []
    current_taken = False
    for entry in _ENTRIES:
        if not entry.shown(actor):
            continue
        url = reverse(entry.url_name)
        if entry.key == "my_plots":
            url = _own_household_url(actor) or url
        current = not current_taken and _is_current(entry, url_name or "", app_name or "")
        current_taken = current_taken or current
        links.append(MenuLink(entry.key, str(entry.label), url, current))
    return links


def start_url(actor: Actor) -> str:
    """Where a person lands after logging in and where "back to your start page" leads: the
    first page of their menu (the officers' dashboard; a household's diary; a laboratory's
    samples), the dashboard when the menu is empty."""
    links = menu_for(actor)
    return links[0].url if links else reverse("dashboard")


def menu_keys(actor: Actor) -> list[str]:
    """The keys of the actor's menu (for tests and the CLI)."""
    return [link.key for link in menu_for(actor)]
