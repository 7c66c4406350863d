"""Targets of a province's plan, training classes, and the periodic reports as issued.

Training lives here rather than in an app of its own: the plans count classes as one of the
targets (An Giang's 356 classes, `003_34dbcfa781b18b46.txt`, Bảng 4) and the reports read
them; a household's page lists the classes it attended through `training.classes_of`."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.limits import NOTE_MAX_LENGTH
from agritrace.places.models import AdminUnit
from agritrace.registry.models import Crop, Household


class Metric(models.TextChoices):
    HECTARES = "hectares", _("Hectares with a planting-area code")
    AREA_CODES = "area_codes", _("Planting-area codes")
    PACKING_HOUSES = "packing_houses", _("Packing-house codes")
    RESIDUE_SAMPLES = "residue_samples", _("Residue samples")
    TRAINING_CLASSES = "training_classes", _("Training classes")


class TargetKind(models.TextChoices):
    TARGET = "target", _("Target")
    BASELINE = "baseline", _("Figure the plan reports as already achieved")


class Target(models.Model):
    """One figure of a plan: for a province, optionally one of its units (a current commune,
    or an earlier district or commune, read through `places.UnitMapping`), a crop or a group
    of crops (`data/crop_groups.json`) or every crop, a year and a metric. `cumulative`: the
    figure counts what holds a code at the end of the year, not only what was issued in it."""

    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    crop = models.ForeignKey(
        Crop, verbose_name=_("crop"), null=True, blank=True, on_delete=models.PROTECT
    )
    crop_group = models.CharField(_("group of crops"), max_length=20, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    metric = models.CharField(_("figure"), max_length=20, choices=Metric.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=TargetKind.choices, default=TargetKind.TARGET
    )
    cumulative = models.BooleanField(_("by the end of the year"), default=False)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    source = models.CharField(_("source"), max_length=300, default="unknown")
    source_date = models.DateField(_("source date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["province", "year", "metric", "unit__name", "pk"]
        indexes = [models.Index(fields=["province", "year"])]

    def __str__(self) -> str:
        where = self.unit.name if self.unit_id else self.province.name
        return f"{where} {self.year} {self.metric}: {self.value}"


class Topic(models.TextChoices):
    GAP = "gap", _("Good agricultural practice (GAP)")
    PESTICIDES = "pesticides", _("Safe use of pesticides")
    CODES = "codes", _("Planting-area and packing-house codes")
    TRACEABILITY = "traceability", _("Traceability")


class TrainingClass(models.Model):
    """A class planned (a date ahead) and, once given, held (`held_on`), with its attendees:
    households and cooperatives of the registry and a count of others."""

    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    commune = models.ForeignKey(
        AdminUnit,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    crop = models.ForeignKey(
        Crop, verbose_name=_("crop"), null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField(_("title"), max_length=200)
    place = models.CharField(_("place"), max_length=200)
    planned_on = models.DateField(_("planned for"))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    trainer = models.CharField(_("trainer"), max_length=150)
    outsiders = models.PositiveIntegerField(_("other attendees"), default=0)
    materials = models.TextField(_("materials"), blank=True, max_length=NOTE_MAX_LENGTH)
    households = models.ManyToManyField(
        Household, verbose_name=_("households"), blank=True, related_name="training_classes"
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("cooperatives"), blank=True, related_name="training_classes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-planned_on", "-pk"]
        indexes = [models.Index(fields=["province", "held_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.planned_on})"

    @property
    def held(self) -> bool:
        return self.held_on is not None


class ReportKind(models.TextChoices):
    HALF_YEAR = "half_year", _("Half-year report")
    ANNUAL = "annual", _("Annual report")


class ReportStatus(models.TextChoices):
    GENERATED = "generated", _("Generated")
    SUBMITTED = "submitted", _("Submitted")


class PeriodicReport(models.Model):
    """One version of a province's half-year or annual report: the figures of the period and
    the XLSX and PDF made from them, stored as generated. Once submitted it is frozen; a new
    generation makes the next version."""

    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("report"), max_length=10, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_on = models.DateField(_("due by"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.GENERATED
    )
    figures = models.JSONField(default=dict)
    xlsx = models.BinaryField()
    pdf = models.BinaryField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "kind", "year", "version"], name="report_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.kind} {self.year} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        """A submitted version is frozen: stored as issued, never saved again."""
        if self.pk is not None:
            stored = PeriodicReport.objects.filter(pk=self.pk).values_list("status", flat=True)
            if stored.first() == ReportStatus.SUBMITTED:
                raise ValueError(f"Report {self.pk} is submitted and frozen.")
        super().save(*args, **kwargs)


class ReminderSent(models.Model):
    """A reminder of a report's deadline put in the inbox, so that the scheduler's daily run
    sends each one once (per province, report, year and days ahead)."""

    province = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField()
    days_ahead = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["province", "kind", "year", "days_ahead"], name="report_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.kind} {self.year}: {self.days_ahead} days ahead"
