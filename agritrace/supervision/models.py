"""Supervision of issued codes: monitoring plans and visits with their checklists, pest
surveillance, the residue programme (samples, lab results, limits, cases, flags) and the
importing countries' non-compliance notices.

Regulatory facts (season calendars, checklists, quarantine pests per market, residue limits)
are data loaded from data/*.json with their source; see catalogue.py."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.limits import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from agritrace.places.models import AdminUnit
from agritrace.registry.models import Crop, Market, PackingHouse, PlantingArea, SourcedData


def _vi() -> bool:
    return (get_language() or "vi").startswith("vi")


class HolderKind(models.TextChoices):
    AREA = "area", _("Planting area")
    PACKING_HOUSE = "packing_house", _("Packing house")


class HolderMixin(models.Model):
    """Either a planting area or a packing house (exactly one; checked by a constraint)."""

    area = models.ForeignKey(
        PlantingArea,
        verbose_name=_("planting area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    packing_house = models.ForeignKey(
        PackingHouse,
        verbose_name=_("packing house"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def holder(self) -> PlantingArea | PackingHouse:
        return self.area if self.area_id else self.packing_house

    @property
    def holder_kind(self) -> str:
        return HolderKind.AREA if self.area_id else HolderKind.PACKING_HOUSE


def holder_kwargs(holder) -> dict:
    """{"area": holder} or {"packing_house": holder}."""
    if isinstance(holder, PlantingArea):
        return {"area": holder}
    return {"packing_house": holder}


def _one_holder(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(
            models.Q(area__isnull=False, packing_house__isnull=True)
            | models.Q(area__isnull=True, packing_house__isnull=False)
        ),
        name=name,
    )


# ---------------------------------------------------------------- catalogues


class SeasonCalendar(SourcedData):
    """When a crop's harvest comes in a region: the monitoring visit is planned before it."""

    crop = models.ForeignKey(Crop, on_delete=models.CASCADE, related_name="season_calendars")
    region = models.CharField(_("region"), max_length=120)
    provinces = models.JSONField(
        _("provinces"), default=list, blank=True, help_text=_("Province names; empty: any")
    )
    label = models.CharField(_("season"), max_length=40, default="main")
    harvest_start_month = models.PositiveSmallIntegerField(_("harvest starts (month)"))
    harvest_end_month = models.PositiveSmallIntegerField(_("harvest ends (month)"))
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["crop", "region", "harvest_start_month"]
        constraints = [
            models.UniqueConstraint(fields=["crop", "region", "label"], name="season_unique")
        ]

    def __str__(self) -> str:
        return f"{self.crop} · {self.region} · {self.label}"

    def covers(self, province: AdminUnit) -> bool:
        return not self.provinces or province.name in self.provinces


class ChecklistTemplate(SourcedData):
    kind = models.CharField(_("for"), max_length=20, choices=HolderKind.choices)
    version = models.PositiveSmallIntegerField(default=1)
    name_en = models.CharField(max_length=150)
    name_vi = models.CharField(max_length=150)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="checklist_kind_version")
        ]

    def __str__(self) -> str:
        return self.name_vi if _vi() else self.name_en

    @classmethod
    def current(cls, kind: str) -> "ChecklistTemplate | None":
        return cls.objects.filter(kind=kind, active=True).order_by("-version").first()


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=40)
    label_en = models.CharField(max_length=200)
    label_vi = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="checklist_item_key")
        ]

    def __str__(self) -> str:
        return self.label_vi if _vi() else self.label_en


class Pest(models.Model):
    KINDS = [
        ("insect", _("Insect or mite")),
        ("disease", _("Disease")),
        ("weed", _("Weed")),
        ("other", _("Other")),
    ]
    key = models.SlugField(max_length=60, unique=True)
    name_en = models.CharField(_("English name"), max_length=150)
    name_vi = models.CharField(_("Vietnamese name"), max_length=150)
    scientific_name = models.CharField(_("scientific name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=KINDS, default="insect")

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        name = self.name_vi if _vi() else self.name_en
        return f"{name} ({self.scientific_name})" if self.scientific_name else name


class MarketPest(SourcedData):
    """A quarantine pest an importing market names for a crop."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="quarantine_pests")
    crop = models.ForeignKey(Crop, on_delete=models.CASCADE, related_name="+")
    pest = models.ForeignKey(Pest, on_delete=models.CASCADE, related_name="markets")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["market", "crop", "pest"], name="market_pest_unique")
        ]

    def __str__(self) -> str:
        return f"{self.market.code} / {self.crop} / {self.pest}"


DEMO_SOURCE = "source unknown, demo value"


def _mrl_unique(name: str, fields: list[str], crop_null: bool, ingredient_null: bool):
    return models.UniqueConstraint(
        fields=fields,
        condition=models.Q(crop__isnull=crop_null, ingredient__isnull=ingredient_null),
        name=name,
    )


class ResidueLimit(SourcedData):
    """A maximum residue limit (MRL) in mg/kg for an active ingredient of the input
    catalogue (diary.ActiveIngredient). crop None: every crop; ingredient None: the market's
    default for ingredients without a limit of their own (shown as '*')."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="residue_limits")
    crop = models.ForeignKey(Crop, null=True, blank=True, on_delete=models.CASCADE)
    ingredient = models.ForeignKey(
        "diary.ActiveIngredient",
        verbose_name=_("active ingredient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residue_limits",
        help_text=_("Empty: the market's default limit for any other ingredient"),
    )
    mrl_mg_kg = models.DecimalField(_("limit (mg/kg)"), max_digits=10, decimal_places=4)
    is_demo = models.BooleanField(
        _("demo value"), default=False, help_text=_("Not from an official source")
    )

    class Meta:
        ordering = ["market", "crop", "ingredient__name"]
        # One limit per market, crop (or every crop) and ingredient (or the default); NULLs
        # are distinct in a plain unique constraint, hence one partial constraint per case.
        constraints = [
            _mrl_unique("mrl_unique", ["market", "crop", "ingredient"], False, False),
            _mrl_unique("mrl_unique_any_crop", ["market", "ingredient"], True, False),
            _mrl_unique("mrl_unique_default", ["market", "crop"], False, True),
            _mrl_unique("mrl_unique_any_crop_default", ["market"], True, True),
        ]

    def __str__(self) -> str:
        return f"{self.market.code} {self.crop or '*'} {self.ingredient_name}: {self.mrl_mg_kg}"

    @property
    def ingredient_name(self) -> str:
        return self.ingredient.name if self.ingredient_id else "*"


# ---------------------------------------------------------------- monitoring


class MonitoringPlan(models.Model):
    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    season = models.CharField(_("season"), max_length=60, help_text=_("For example 2026"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "province"]
        constraints = [
            models.UniqueConstraint(fields=["province", "season"], name="plan_province_season")
        ]

    def __str__(self) -> str:
        return f"{self.province} · {self.season}"


class VisitKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SURPRISE = "surprise", _("Surprise")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    OVERDUE = "overdue", _("Overdue")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    CORRECTIVE = "corrective", _("Corrective actions")
    SUSPEND = "suspend", _("Proposal to suspend")


class ItemResult(models.TextChoices):
    PASS = "pass", _("Passed")
    FAIL = "fail", _("Failed")
    NA = "na", _("Not applicable")


class MonitoringVisit(HolderMixin):
    plan = models.ForeignKey(
        MonitoringPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="visits"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=VisitKind.choices, default=VisitKind.SCHEDULED
    )
    season_label = models.CharField(_("crop season"), max_length=40, blank=True)
    due_date = models.DateField(_("due date"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    risk_score = models.PositiveIntegerField(_("risk score"), default=0)
    risk_reasons = models.JSONField(default=list, blank=True)
    notice = models.ForeignKey(
        "Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    reason = models.TextField(_("reason"), blank=True, max_length=REASON_MAX_LENGTH)
    template = models.ForeignKey(
        ChecklistTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX_LENGTH)
    proposal_decision = models.CharField(max_length=12, blank=True)
    proposal_decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "-risk_score", "pk"]
        constraints = [_one_holder("visit_one_holder")]
        indexes = [models.Index(fields=["due_date", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.holder} @ {self.due_date}"

    @property
    def status(self) -> str:
        if self.recorded_at is not None:
            return VisitStatus.DONE
        if self.due_date < timezone.localdate():
            return VisitStatus.OVERDUE
        return VisitStatus.PLANNED

    def get_status_display(self) -> str:
        return str(VisitStatus(self.status).label)

    @property
    def suspension_pending(self) -> bool:
        return self.outcome == Outcome.SUSPEND and not self.proposal_decision


class VisitItem(models.Model):
    visit = models.ForeignKey(MonitoringVisit, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=4, choices=ItemResult.choices)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["visit", "item__order"]
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="visit_item_once")]

    def __str__(self) -> str:
        return f"{self.item.key}: {self.result}"


def photo_path(instance: "VisitPhoto", filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    day = timezone.localdate()
    return f"supervision/visits/{day:%Y/%m}/{instance.visit_id}-{timezone.now():%H%M%S%f}.{ext}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(MonitoringVisit, on_delete=models.CASCADE, related_name="photos")
    item_key = models.CharField(_("checklist item"), max_length=40, blank=True)
    file = models.FileField(_("photo"), upload_to=photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.file.name


class CorrectiveAction(models.Model):
    visit = models.ForeignKey(
        MonitoringVisit, on_delete=models.CASCADE, related_name="corrective_actions"
    )
    item_key = models.CharField(max_length=40, blank=True)
    description = models.TextField(_("what must be corrected"), max_length=NOTE_MAX_LENGTH)
    deadline = models.DateField(_("deadline"))
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return f"{self.description[:60]} (by {self.deadline})"

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.deadline < timezone.localdate()


# ---------------------------------------------------------------- pest surveillance


class PestObservation(models.Model):
    area = models.ForeignKey(
        PlantingArea, verbose_name=_("planting area"), on_delete=models.PROTECT, related_name="+"
    )
    plot = models.ForeignKey(
        "registry.Plot",
        verbose_name=_("plot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    observed_on = models.DateField(_("date"))
    pest = models.ForeignKey(Pest, verbose_name=_("pest"), on_delete=models.PROTECT)
    incidence_pct = models.DecimalField(
        _("incidence (% of trees)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    count_per_tree = models.DecimalField(
        _("count per tree"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    observer_org = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    visit = models.ForeignKey(
        MonitoringVisit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
    )
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.area} {self.observed_on}: {self.pest}"


# ---------------------------------------------------------------- residue programme


class ResiduePlan(SourcedData):
    """The province's yearly number of residue samples; the figure's source is the
    province's decision (or 'unknown')."""

    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    target_samples = models.PositiveIntegerField(_("samples planned"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "province"]
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="residue_plan_unique")
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.year}: {self.target_samples}"


class SampleStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENT = "sent", _("At the laboratory")
    ANALYSED = "analysed", _("Analysed")
    CANCELLED = "cancelled", _("Cancelled")


class Sample(models.Model):
    code = models.CharField(_("sample code"), max_length=40, unique=True)
    area = models.ForeignKey(
        PlantingArea, verbose_name=_("planting area"), on_delete=models.PROTECT, related_name="+"
    )
    plot_or_lot = models.CharField(
        _("plot or lot"),
        max_length=120,
        blank=True,
        help_text=_("Plot label or lot reference"),
    )
    planned_for = models.DateField(_("planned for"), null=True, blank=True)
    sampled_on = models.DateField(_("date sampled"), null=True, blank=True)
    laboratory = models.ForeignKey(
        Organisation, verbose_name=_("laboratory"), on_delete=models.PROTECT, related_name="+"
    )
    analyses = models.JSONField(
        _("analyses requested"),
        default=list,
        help_text=_("Names of the active ingredients (of the input catalogue) to test for"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SampleStatus.choices, default=SampleStatus.SENT
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    notice = models.ForeignKey(
        "Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="samples"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.code


class LabResult(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="results")
    ingredient = models.ForeignKey(
        "diary.ActiveIngredient",
        verbose_name=_("active ingredient"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    value_mg_kg = models.DecimalField(_("value (mg/kg)"), max_digits=12, decimal_places=4)
    loq_mg_kg = models.DecimalField(
        _("limit of quantification (mg/kg)"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
    )
    analysed_on = models.DateField(_("date analysed"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sample", "ingredient__name"]
        constraints = [models.UniqueConstraint(fields=["sample", "ingredient"], name="result_once")]

    def __str__(self) -> str:
        return f"{self.sample.code} {self.ingredient}: {self.value_mg_kg}"

    @property
    def detected(self) -> bool:
        return self.loq_mg_kg is None or self.value_mg_kg >= self.loq_mg_kg


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ResidueCase(models.Model):
    """A result above the limit of one of the area's target markets."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="cases")
    result = models.ForeignKey(LabResult, on_delete=models.PROTECT, related_name="cases")
    area = models.ForeignKey(PlantingArea, on_delete=models.PROTECT, related_name="+")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="+")
    ingredient = models.ForeignKey(
        "diary.ActiveIngredient",
        verbose_name=_("active ingredient"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    value_mg_kg = models.DecimalField(max_digits=12, decimal_places=4)
    limit_mg_kg = models.DecimalField(max_digits=10, decimal_places=4)
    limit_source = models.CharField(max_length=300)
    follow_up = models.ForeignKey(
        Sample, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.area} {self.market.code} {self.ingredient} {self.value_mg_kg}"


class AreaMarketFlag(models.Model):
    """The area's code must not be used for this market while the flag stands."""

    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="market_flags")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH)
    case = models.ForeignKey(
        ResidueCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.area} ✕ {self.market.code}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


# ---------------------------------------------------------------- importing countries' notices


class Hazard(models.TextChoices):
    PEST = "pest", _("Quarantine pest")
    RESIDUE = "residue", _("Pesticide residue")
    CADMIUM = "cadmium", _("Cadmium")
    DYE = "dye", _("Dye (e.g. Auramine O)")
    LABELLING = "labelling", _("Labelling fault")
    OTHER = "other", _("Other")


class Decision(models.TextChoices):
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")
    REVOCATION = "revocation", _("Revocation")


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("Registered")
    INVESTIGATING = "investigating", _("Under investigation")
    DECIDED = "decided", _("Decided")
    REPLIED = "replied", _("Reply sent")


class Notice(models.Model):
    market = models.ForeignKey(
        Market, verbose_name=_("importing country"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("notice reference"), max_length=120, blank=True)
    received_on = models.DateField(_("date of the notice"))
    shipment_reference = models.CharField(_("shipment reference"), max_length=120, blank=True)
    codes_as_received = models.TextField(_("codes named"), blank=True)
    areas = models.ManyToManyField(PlantingArea, blank=True, related_name="+")
    packing_houses = models.ManyToManyField(PackingHouse, blank=True, related_name="+")
    hazard = models.CharField(_("hazard"), max_length=12, choices=Hazard.choices)
    detail = models.TextField(_("detail"), blank=True, max_length=NOTE_MAX_LENGTH)
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=14, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_text = models.TextField(
        _("reply to the importing country"), blank=True, max_length=NOTE_MAX_LENGTH
    )
    replied_on = models.DateField(_("date of the reply"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_org = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.market.code} {self.reference or self.shipment_reference} ({self.received_on})"
        )

    @property
    def is_open(self) -> bool:
        return self.status != NoticeStatus.REPLIED
