"""Training classes: planned (a topic, place, date, trainer, materials) and then recorded as
held with their attendees (households and cooperatives of the registry, in the province, and a
count of others). Audited; the plan against the year's target is `plan_against_target`."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit
from agritrace.registry.models import Crop, Household

from . import access
from .models import Metric, Target, Topic, TrainingClass
from .targets import valid_id


@dataclass
class ClassData:
    topic: str
    title: str
    place: str
    planned_on: date
    trainer: str
    commune_id: int | None = None
    crop: str = ""
    materials: str = ""


@dataclass
class Attendance:
    held_on: date
    households: list[int] = field(default_factory=list)
    organisations: list[int] = field(default_factory=list)
    outsiders: int = 0


def _province(actor: Actor) -> AdminUnit:
    access.require_edit(actor)
    return actor.organisation.unit.province


def _fields(province: AdminUnit, data: ClassData) -> dict:
    errors: dict[str, str] = {}
    if data.topic not in Topic.values:
        errors["topic"] = _("Unknown topic “%(v)s”; one of: %(c)s.") % {
            "v": data.topic,
            "c": ", ".join(Topic.values),
        }
    for name in ("title", "place", "trainer"):
        if not (getattr(data, name) or "").strip():
            errors[name] = _("A value is required.")
    if data.planned_on is None:
        errors["planned_on"] = _("A date is required.")
    commune = None
    if data.commune_id:
        commune = (
            AdminUnit.objects.filter(pk=data.commune_id, level="commune").first()
            if valid_id(data.commune_id)
            else None
        )
        if commune is None or commune.province.pk != province.pk:
            errors["commune_id"] = _("No such commune in %(p)s.") % {"p": province.name}
    crop = None
    if (data.crop or "").strip():
        crop = Crop.objects.filter(code=data.crop.strip()).first()
        if crop is None:
            errors["crop"] = _("Unknown crop “%(c)s”.") % {"c": data.crop}
    if errors:
        raise ValidationError(errors)
    return {
        "province": province,
        "commune": commune,
        "topic": data.topic,
        "crop": crop,
        "title": data.title.strip(),
        "place": data.place.strip(),
        "planned_on": data.planned_on,
        "trainer": data.trainer.strip(),
        "materials": (data.materials or "").strip(),
    }


def _snapshot(cls: TrainingClass) -> dict:
    return snapshot(cls)


@transaction.atomic
def plan_class(actor: Actor, data: ClassData) -> TrainingClass:
    province = _province(actor)
    cls = TrainingClass(created_by=actor.user, **_fields(province, data))
    cls.save()
    record(actor.user, "reports.training.plan", cls, None, _snapshot(cls))
    return cls


def get_class(actor: Actor, class_id: int) -> TrainingClass:
    found = (
        access.visible_classes(actor, TrainingClass.objects.select_related("commune", "crop"))
        .filter(pk=class_id)
        .first()
    )
    if found is None:
        raise Http404(_("No such training class."))
    return found


@transaction.atomic
def record_held(actor: Actor, class_id: int, data: Attendance) -> TrainingClass:
    """Record that the class was held, on which day and who attended (replacing what an
    earlier record said)."""
    province = _province(actor)
    cls = TrainingClass.objects.select_for_update().filter(pk=class_id, province=province).first()
    if cls is None:
        raise Http404(_("No such training class in your province."))
    errors: dict[str, str] = {}
    if data.held_on is None:
        errors["held_on"] = _("A date is required.")
    elif data.held_on > timezone.localdate():
        errors["held_on"] = _("A class cannot be recorded as held on a day still to come.")
    if data.outsiders is None or data.outsiders < 0 or data.outsiders > 100_000:
        errors["outsiders"] = _("A whole number from 0 to 100000.")
    in_province = Q(commune__parent=province) | Q(commune=province)
    household_ids = [i for i in data.households or [] if valid_id(i)]
    org_ids = [i for i in data.organisations or [] if valid_id(i)]
    households = list(Household.objects.filter(in_province, pk__in=household_ids))
    if len(households) != len(set(data.households or [])):
        errors["households"] = _("Some households are not in the registry of %(p)s.") % {
            "p": province.name
        }
    orgs = list(
        Organisation.objects.filter(
            Q(unit__parent=province) | Q(unit=province),
            kind=OrgKind.REPRESENTATIVE,
            pk__in=org_ids,
        )
    )
    if len(orgs) != len(set(data.organisations or [])):
        errors["organisations"] = _("Some cooperatives are not registered in %(p)s.") % {
            "p": province.name
        }
    if errors:
        raise ValidationError(errors)
    before = _snapshot(cls)
    cls.held_on = data.held_on
    cls.outsiders = data.outsiders
    cls.save()
    cls.households.set(households)
    cls.organisations.set(orgs)
    record(actor.user, "reports.training.held", cls, before, _snapshot(cls))
    return cls


def classes(actor: Actor, year: int | None = None) -> QuerySet[TrainingClass]:
    qs = access.visible_classes(
        actor, TrainingClass.objects.select_related("commune", "crop", "province")
    )
    if year:
        qs = qs.filter(planned_on__year=year)
    return qs


def attendees(cls: TrainingClass) -> int:
    return cls.households.count() + cls.organisations.count() + cls.outsiders


def plan_against_target(actor: Actor, year: int) -> dict:
    """The year's classes planned and held against the training targets of the province
    (the whole province's rows)."""
    qs = classes(actor, year)
    target_qs = access.visible_targets(
        actor, Target.objects.filter(year=year, metric=Metric.TRAINING_CLASSES)
    )
    if actor.kind != OrgKind.COMMUNE:
        target_qs = target_qs.filter(unit__isnull=True)
    total = sum((t.value for t in target_qs), 0)
    return {
        "year": year,
        "planned": qs.count(),
        "held": qs.filter(held_on__isnull=False).count(),
        "target": float(total) if target_qs.exists() else None,
    }


def classes_of(actor: Actor, household: Household) -> QuerySet[TrainingClass]:
    """The classes a household attended (for its page: the household is one the actor sees)."""
    if not visible(actor, Household.objects.filter(pk=household.pk)).exists():
        return TrainingClass.objects.none()
    return household.training_classes.filter(held_on__isnull=False).order_by("-held_on")
