"""Who may see and do what. Every query for scoped records goes through `visible()`, and
every action through `require()`: the one place where access is decided.

Scope follows the organisation: the ministry sees everything, a province (department or
plant-protection office) its province, a commune its commune's land, a representative its own
areas and households, a household itself, a packing house its own houses and the areas that
supply it, an exporter the areas authorised to it. The public sees published codes only.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AUTHORITY_KINDS, Membership, Organisation, OrgKind, Role


@dataclass(frozen=True)
class Actor:
    user: object | None
    organisation: Organisation | None
    role: str | None

    @classmethod
    def of(cls, user) -> "Actor":
        if user is None or not getattr(user, "is_authenticated", False):
            return PUBLIC
        membership = (
            Membership.objects.select_related("organisation__unit__parent")
            .filter(user=user)
            .first()
        )
        if membership is None:
            return cls(user=user, organisation=None, role=None)
        return cls(user=user, organisation=membership.organisation, role=membership.role)

    @property
    def kind(self) -> str | None:
        return self.organisation.kind if self.organisation else None

    @property
    def is_public(self) -> bool:
        return self.organisation is None

    @property
    def is_authority(self) -> bool:
        return self.kind in AUTHORITY_KINDS

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""

    @property
    def province_id(self) -> int | None:
        """The province an authority or commune works in (None for the ministry)."""
        if self.organisation is None or self.kind == OrgKind.MINISTRY:
            return None
        return self.organisation.unit.province.pk

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


PUBLIC = Actor(user=None, organisation=None, role=None)


# ------------------------------------------------------------------ what one may see


def _place_filter(actor: Actor, commune_path: str) -> Q | None:
    """Territorial scope for authorities and communes; None means 'not territorial'."""
    kind = actor.kind
    if kind == OrgKind.MINISTRY:
        return Q()
    if kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return Q(**{f"{commune_path}__parent_id": actor.province_id}) | Q(
            **{f"{commune_path}_id": actor.province_id}
        )
    if kind == OrgKind.COMMUNE:
        return Q(**{f"{commune_path}_id": actor.organisation.unit_id})
    return None


def _authorised_q(org_id) -> Q:
    """The areas whose code `org_id` is authorised to use today (not after the end or the
    withdrawal: one Q, so the period and the grantee are the same authorisation's)."""
    from django.utils import timezone

    from agritrace.registry.history import authorisation_active_q

    return Q(authorisations__grantee_id=org_id) & authorisation_active_q(
        timezone.localdate(), "authorisations__"
    )


def _area_filter(actor: Actor) -> Q:
    from agritrace.registry.models import CodeStatus

    place = _place_filter(actor, "commune")
    if place is not None:
        return place
    org_id = actor.organisation.pk if actor.organisation else None
    kind = actor.kind
    if kind == OrgKind.REPRESENTATIVE:
        return Q(representative_id=org_id)
    if kind == OrgKind.HOUSEHOLD:
        return Q(households__organisation_id=org_id)
    if kind == OrgKind.PACKING_HOUSE:
        return Q(supply_contracts__packing_house__operator_id=org_id) | _authorised_q(org_id)
    if kind == OrgKind.EXPORTER:
        return _authorised_q(org_id)
    # Laboratories and the public: published codes only.
    return Q(code_status__in=[CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED])


def _packing_house_filter(actor: Actor) -> Q:
    from agritrace.registry.models import CodeStatus

    place = _place_filter(actor, "commune")
    if place is not None:
        return place
    org_id = actor.organisation.pk if actor.organisation else None
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return Q(operator_id=org_id)
    if actor.kind == OrgKind.REPRESENTATIVE:
        return Q(supply_contracts__area__representative_id=org_id)
    return Q(code_status__in=[CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED])


def _code_authorisation_filter(actor: Actor) -> Q | None:
    """Authorisations to use an area's code: the authorities and the commune by the area's
    place, the representative its areas', an exporter or packing house those granted to it
    (past ones too: its own record). Nobody else."""
    if actor.is_public:
        return None
    place = _place_filter(actor, "area__commune")
    if place is not None:
        return place
    org_id = actor.organisation.pk
    if actor.kind == OrgKind.REPRESENTATIVE:
        return Q(area__representative_id=org_id)
    if actor.kind in (OrgKind.EXPORTER, OrgKind.PACKING_HOUSE):
        return Q(grantee_id=org_id)
    return None


def _supply_contract_filter(actor: Actor) -> Q | None:
    """Supply contracts: by the place of the area or of the packing house for authorities and
    communes, the area's representative, the packing house's operator. Nobody else."""
    if actor.is_public:
        return None
    place = _place_filter(actor, "area__commune")
    if place is not None:
        if place == Q():
            return place
        return place | _place_filter(actor, "packing_house__commune")
    org_id = actor.organisation.pk
    if actor.kind == OrgKind.REPRESENTATIVE:
        return Q(area__representative_id=org_id)
    if actor.kind in (OrgKind.EXPORTER, OrgKind.PACKING_HOUSE):
        return Q(packing_house__operator_id=org_id)
    return None


def _household_filter(actor: Actor) -> Q | None:
    place = _place_filter(actor, "commune")
    if place is not None:
        return place
    org_id = actor.organisation.pk if actor.organisation else None
    if actor.kind == OrgKind.REPRESENTATIVE:
        return Q(representative_id=org_id)
    if actor.kind == OrgKind.HOUSEHOLD:
        return Q(organisation_id=org_id)
    return None  # nobody else sees households


def _application_filter(actor: Actor) -> Q | None:
    if actor.is_public or actor.kind in (OrgKind.LABORATORY, OrgKind.HOUSEHOLD):
        return None
    area_q = _area_filter(actor)
    ph_q = _packing_house_filter(actor)
    if actor.kind in (OrgKind.REPRESENTATIVE, OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return Q(applicant_id=actor.organisation.pk)
    return Q(area__in=_subquery("PlantingArea", area_q)) | Q(
        packing_house__in=_subquery("PackingHouse", ph_q)
    )


def _subquery(model_name: str, q: Q) -> QuerySet:
    from django.apps import apps

    return apps.get_model("registry", model_name).objects.filter(q).values("pk")


def _organisation_filter(actor: Actor) -> Q | None:
    if actor.is_public:
        return None
    place = _place_filter(actor, "unit")
    if place is not None:
        return place
    if actor.kind == OrgKind.REPRESENTATIVE:
        # A representative picks the exporters and packing houses it authorises.
        return Q(pk=actor.organisation.pk) | Q(kind__in=[OrgKind.EXPORTER, OrgKind.PACKING_HOUSE])
    return Q(pk=actor.organisation.pk)


def visible(actor: Actor, queryset: QuerySet) -> QuerySet:
    """The part of `queryset` that `actor` may see. Unknown models are refused outright, so
    that a new model cannot leak by being forgotten here."""
    model = queryset.model
    name = model._meta.label
    if name == "registry.PlantingArea":
        q: Q | None = _area_filter(actor)
    elif name == "registry.PackingHouse":
        q = _packing_house_filter(actor)
    elif name == "registry.Household":
        q = _household_filter(actor)
    elif name == "registry.Plot":
        hq = _household_filter(actor)
        q = None if hq is None else Q(household__in=_subquery("Household", hq))
        if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
            q = None
    elif name == "registry.Application":
        q = _application_filter(actor)
    elif name == "registry.CodeAuthorisation":
        q = _code_authorisation_filter(actor)
    elif name == "registry.SupplyContract":
        q = _supply_contract_filter(actor)
    elif name == "accounts.Organisation":
        q = _organisation_filter(actor)
    elif name == "notifications.Notification":
        q = None if actor.is_public else Q(organisation_id=actor.organisation.pk)
    elif name == "diary.DiaryEntry":
        q = _diary_entry_filter(actor)
    elif name == "diary.DiaryFlag":
        q = _diary_flag_filter(actor)
    elif name.startswith("supervision."):
        q = _supervision_filter(actor, name)
    elif name == "trace.Event":
        q = _event_filter(actor)
    elif name == "trace.CaptureJob":
        q = _capture_job_filter(actor)
    elif name == "trace.CaptureRefusal":
        q = _capture_refusal_filter(actor)
    elif name == "trace.EventFlag":
        q = _event_flag_filter(actor)
    elif name == "trace.Recall":
        q = _recall_filter(actor)
    elif name.startswith("stamps."):
        q = _stamp_filter(actor, name)
    elif name.startswith("products."):
        from agritrace.products.access import product_filter

        q = product_filter(actor, name, _place_filter(actor, "commune"))
    else:
        raise PermissionDenied(f"no access rule for {name}")
    if q is None:
        return queryset.none()
    if q == Q():
        return queryset
    # Filters across to-many relations can repeat rows; select by id instead of DISTINCT so
    # the caller can still order and annotate freely.
    return queryset.filter(pk__in=model.objects.filter(q).values("pk"))


def get_visible(actor: Actor, queryset: QuerySet, **lookup) -> Model:
    """One visible object or Http404: an object outside one's scope does not exist for them."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(visible(actor, queryset), **lookup)


# ------------------------------------------------------------------ what one may do

#: action → organisation kinds allowed (roles below are checked too). The state's actions
#: (appraise, inspect, issue, suspend, revoke) belong to the province's officers.
PERMISSIONS: dict[str, set[str]] = {
    "apply": {OrgKind.REPRESENTATIVE, OrgKind.PACKING_HOUSE, OrgKind.EXPORTER},
    "edit_registry": {OrgKind.REPRESENTATIVE, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "appraise": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "inspect": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "decide": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "market_approval": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION, OrgKind.MINISTRY},
    "authorise_exporter": {OrgKind.REPRESENTATIVE},
    # recording an authorisation from its paper document (one by one or imported)
    "record_authorisation": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "manage_catalogue": {OrgKind.MINISTRY, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    # add organisations and invite their people (the ministry anywhere, a province in it)
    "manage_organisations": {OrgKind.MINISTRY, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    # diary
    "keep_diary": {OrgKind.REPRESENTATIVE, OrgKind.HOUSEHOLD},
    "resolve_diary_flag": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "see_personal_data": {
        OrgKind.MINISTRY,
        OrgKind.PROVINCE,
        OrgKind.PLANT_PROTECTION,
        OrgKind.COMMUNE,
        OrgKind.REPRESENTATIVE,
        OrgKind.HOUSEHOLD,
    },
    # supervision
    "plan_monitoring": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "enter_lab_results": {OrgKind.LABORATORY},
    "handle_notices": {OrgKind.MINISTRY, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "observe_pests": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION, OrgKind.REPRESENTATIVE},
    # trace
    "recall": {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "capture_events": {
        OrgKind.PACKING_HOUSE,
        OrgKind.EXPORTER,
        OrgKind.REPRESENTATIVE,
        OrgKind.MINISTRY,
        OrgKind.PROVINCE,
        OrgKind.PLANT_PROTECTION,
        OrgKind.PROCESSOR,
    },
    # stamps: for the lots one packed (or, a processing facility, processed)
    "request_stamps": {OrgKind.PACKING_HOUSE, OrgKind.EXPORTER, OrgKind.PROCESSOR},
    # products: processing facilities and non-crop production units (products/access.py)
    "register_facility": {OrgKind.PROCESSOR, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION},
    "register_production_unit": {
        OrgKind.REPRESENTATIVE,
        OrgKind.PROVINCE,
        OrgKind.PLANT_PROTECTION,
    },
}

#: Roles that may only read.
READ_ONLY_ROLES = {Role.VIEWER}

#: What each action is, in words, for the message of a refusal (the code stays in PERMISSIONS).
ACTION_LABELS = {
    "apply": gettext_lazy("apply for a code"),
    "edit_registry": gettext_lazy("change the registry"),
    "appraise": gettext_lazy("appraise applications"),
    "inspect": gettext_lazy("inspect"),
    "decide": gettext_lazy("decide on codes"),
    "market_approval": gettext_lazy("handle market approvals"),
    "authorise_exporter": gettext_lazy("authorise exporters and packing houses"),
    "record_authorisation": gettext_lazy("record authorisations"),
    "manage_catalogue": gettext_lazy("manage the catalogue"),
    "manage_organisations": gettext_lazy("manage organisations"),
    "keep_diary": gettext_lazy("keep a farm diary"),
    "resolve_diary_flag": gettext_lazy("resolve diary flags"),
    "see_personal_data": gettext_lazy("see personal data"),
    "plan_monitoring": gettext_lazy("plan monitoring"),
    "enter_lab_results": gettext_lazy("enter laboratory results"),
    "handle_notices": gettext_lazy("handle importing countries' notices"),
    "observe_pests": gettext_lazy("record pest observations"),
    "recall": gettext_lazy("start or close recalls"),
    "capture_events": gettext_lazy("record traceability events"),
    "request_stamps": gettext_lazy("request stamps"),
    "register_facility": gettext_lazy("register processing facilities"),
    "register_production_unit": gettext_lazy("register production units"),
}


def can(actor: Actor, action: str) -> bool:
    if actor.is_public or actor.role in READ_ONLY_ROLES and action != "see_personal_data":
        return False
    return actor.kind in PERMISSIONS[action]


def require(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied(
            _("Your role may not do this: %(action)s")
            % {"action": ACTION_LABELS.get(action, action)}
        )


# ------------------------------------------------------------------ supervision

#: supervision model -> (path to its visit/sample prefix, may concern a packing house,
#: path to the laboratory for the lab's own samples)
_SUPERVISION_PATHS: dict[str, tuple[str, bool, str | None]] = {
    "MonitoringVisit": ("", True, None),
    "VisitItem": ("visit__", True, None),
    "VisitPhoto": ("visit__", True, None),
    "CorrectiveAction": ("visit__", True, None),
    "PestObservation": ("", False, None),
    "Sample": ("", False, "laboratory_id"),
    "LabResult": ("sample__", False, "sample__laboratory_id"),
    "ResidueCase": ("", False, None),
    "AreaMarketFlag": ("", False, None),
}


def sees_supervision_plans(actor: Actor) -> bool:
    """The authority's side of supervision (the ministry, the province's offices and the
    communes that take part in its visits): planned surprise visits and the risk scores and
    their reasons. The inspected (representatives, households, packing houses, exporters)
    see a surprise visit only once it is recorded, and never a risk score."""
    return actor.is_authority or actor.kind == OrgKind.COMMUNE


#: supervision models bound to a visit, by the path to the visit
_VISIT_BOUND = {
    "MonitoringVisit": "",
    "VisitItem": "visit__",
    "VisitPhoto": "visit__",
    "CorrectiveAction": "visit__",
}


def _hide_planned_surprises(actor: Actor, model: str, q: Q | None) -> Q | None:
    """A surprise visit not yet recorded does not exist for the inspected."""
    if q is None or model not in _VISIT_BOUND or sees_supervision_plans(actor):
        return q
    prefix = _VISIT_BOUND[model]
    return q & ~Q(**{f"{prefix}kind": "surprise", f"{prefix}recorded_at__isnull": True})


def _supervision_filter(actor: Actor, name: str) -> Q | None:
    model = name.split(".", 1)[1]
    return _hide_planned_surprises(actor, model, _supervision_scope(actor, name))


def _supervision_scope(actor: Actor, name: str) -> Q | None:
    """Supervision records follow the code holder they concern: authorities and communes see
    those on their land, a representative its own areas', a packing house its own houses'.
    A laboratory sees only the samples sent to it and their results. Plans follow the
    province; notices the codes they name. Households, exporters and the public see none."""
    model = name.split(".", 1)[1]
    kind = actor.kind
    org_id = actor.organisation.pk if actor.organisation else None
    if model in ("MonitoringPlan", "ResiduePlan"):
        if kind == OrgKind.MINISTRY:
            return Q()
        if kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION, OrgKind.COMMUNE):
            return Q(province_id=actor.province_id)
        return None
    if model == "Notice":
        if kind == OrgKind.MINISTRY:
            return Q()
        if kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
            return (
                Q(province_id=actor.province_id)
                | Q(areas__commune__parent_id=actor.province_id)
                | Q(packing_houses__commune__parent_id=actor.province_id)
            )
        if kind == OrgKind.COMMUNE:
            unit = actor.organisation.unit_id
            return Q(areas__commune_id=unit) | Q(packing_houses__commune_id=unit)
        if kind == OrgKind.REPRESENTATIVE:
            return Q(areas__representative_id=org_id)
        if kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
            return Q(packing_houses__operator_id=org_id)
        return None
    if model not in _SUPERVISION_PATHS:
        raise PermissionDenied(f"no access rule for {name}")
    prefix, has_house, lab_path = _SUPERVISION_PATHS[model]
    if kind == OrgKind.LABORATORY:
        return Q(**{lab_path: org_id}) if lab_path else None
    place = _place_filter(actor, f"{prefix}area__commune")
    if place is not None:
        if place == Q() or not has_house:
            return place
        return place | _place_filter(actor, f"{prefix}packing_house__commune")
    if kind == OrgKind.REPRESENTATIVE:
        return Q(**{f"{prefix}area__representative_id": org_id})
    if has_house and kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return Q(**{f"{prefix}packing_house__operator_id": org_id})
    return None


# ------------------------------------------------------------------ diary


def _diary_entry_filter(actor: Actor) -> Q | None:
    """Farm diary entries follow the ground they are about: authorities and communes by the
    area's commune (the household's, for a plot outside any area); a representative its
    areas' and member households' entries; a household the entries on its own plots and the
    whole-area entries of its areas (never another household's plots). Nobody else."""
    if actor.is_public:
        return None
    if actor.kind == OrgKind.MINISTRY:
        return Q()
    by_area = _place_filter(actor, "area__commune")
    if by_area is not None:
        return by_area | (Q(area__isnull=True) & _place_filter(actor, "plot__household__commune"))
    org_id = actor.organisation.pk
    if actor.kind == OrgKind.REPRESENTATIVE:
        return Q(area__representative_id=org_id) | Q(plot__household__representative_id=org_id)
    if actor.kind == OrgKind.HOUSEHOLD:
        return Q(plot__household__organisation_id=org_id) | Q(
            plot__isnull=True, area__households__organisation_id=org_id
        )
    return None


def _diary_flag_filter(actor: Actor) -> Q | None:
    from django.apps import apps

    entry_q = _diary_entry_filter(actor)
    if entry_q is None:
        return None
    if entry_q == Q():
        return Q()
    entries = apps.get_model("diary", "DiaryEntry").objects.filter(entry_q).values("pk")
    return Q(entry__in=entries)


# ------------------------------------------------------------------ trace


def _event_filter(actor: Actor) -> Q | None:
    """Traceability events: the ministry sees all; a province (department or plant-protection
    office) the events at locations in its province, and those captured by organisations in
    it when they name no location of ours (Event.province, set at capture); a commune the
    events at the planting areas and packing houses in it; a representative, packing house or
    exporter what it captured itself and the events at its own areas / houses (a processor:
    what it captured). Households, laboratories and the public see none here."""
    if actor.is_public:
        return None
    kind = actor.kind
    org_id = actor.organisation.pk
    if kind == OrgKind.MINISTRY:
        return Q()
    if kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return Q(province_id=actor.province_id)
    if kind == OrgKind.COMMUNE:
        unit_id = actor.organisation.unit_id
        return Q(area__commune_id=unit_id) | Q(packing_house__commune_id=unit_id)
    if kind == OrgKind.REPRESENTATIVE:
        return Q(capture_org_id=org_id) | Q(area__representative_id=org_id)
    if kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return Q(capture_org_id=org_id) | Q(packing_house__operator_id=org_id)
    if kind == OrgKind.PROCESSOR:
        return Q(capture_org_id=org_id)
    return None


def _event_flag_filter(actor: Actor) -> Q | None:
    """Flags of the domain checks follow their event."""
    from django.apps import apps

    event_q = _event_filter(actor)
    if event_q is None or event_q == Q():
        return event_q
    return Q(event__in=apps.get_model("trace", "Event").objects.filter(event_q).values("pk"))


def _recall_filter(actor: Actor) -> Q | None:
    """Recalls: the ministry sees all, a province (department or plant-protection office) its
    province's, and every organisation the recall was sent to sees that one."""
    if actor.is_public:
        return None
    if actor.kind == OrgKind.MINISTRY:
        return Q()
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return Q(province_id=actor.province_id) | Q(notified=actor.organisation.pk)
    return Q(notified=actor.organisation.pk)


def _capture_job_filter(actor: Actor) -> Q | None:
    """Capture jobs (refused ones too): one's own organisation's; a province (department or
    plant-protection office) also those of organisations in it and those whose refused events
    were at its areas or packing houses; the ministry all."""
    from django.apps import apps

    if actor.is_public:
        return None
    if actor.kind == OrgKind.MINISTRY:
        return Q()
    own = Q(organisation_id=actor.organisation.pk)
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        refusals = apps.get_model("trace", "CaptureRefusal").objects.filter(
            province_id=actor.province_id
        )
        return own | Q(province_id=actor.province_id) | Q(pk__in=refusals.values("job_id"))
    return own


def _capture_refusal_filter(actor: Actor) -> Q | None:
    """Refused events: the capturing organisation's own; a province's at its locations (or
    sent by its organisations); the ministry all."""
    if actor.is_public:
        return None
    if actor.kind == OrgKind.MINISTRY:
        return Q()
    own = Q(capture_org_id=actor.organisation.pk)
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return own | Q(province_id=actor.province_id) | Q(job__province_id=actor.province_id)
    return own


# ------------------------------------------------------------------ stamps


def _stamp_filter(actor: Actor, name: str) -> Q | None:
    """Stamp batches, their stamps and scans: the packing house or exporter that requested
    them, and the operator of the packing house that packed the lot; the province the lot was
    packed in; the ministry all. Nobody else (the public checks one stamp at a time through
    the lookup, never a list)."""
    prefix = {"stamps.StampBatch": "", "stamps.Stamp": "batch__", "stamps.Scan": "stamp__batch__"}
    if name not in prefix:
        raise PermissionDenied(f"no access rule for {name}")
    path = prefix[name]
    if actor.is_public:
        return None
    kind = actor.kind
    if kind == OrgKind.MINISTRY:
        return Q()
    if kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return Q(**{f"{path}province_id": actor.province_id})
    if kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER, OrgKind.PROCESSOR):
        org_id = actor.organisation.pk
        return Q(**{f"{path}requested_by_id": org_id}) | Q(
            **{f"{path}packing_house__operator_id": org_id}
        )
    return None
