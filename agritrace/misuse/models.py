"""Misuse detection: rules (thresholds as data with their source), cases (one per subject ×
rule × season, never duplicated by a re-run) and the officer's steps on a case.

A *subject* is what a finding is about: a planting area's code, a packing house's code, or an
organisation (an exporter suddenly using many codes). A *season* is the harvest year of the
events, in the service's time zone ("2026"): one code × rule × season is one case."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.places.models import AdminUnit
from agritrace.registry.models import PackingHouse, PlantingArea, SourcedData


class RuleGroup(models.TextChoices):
    VOLUME = "volume", _("Volume beyond what the area can grow")
    CAPACITY = "capacity", _("Packing house beyond its capacity or contracts")
    NO_RIGHT = "no_right", _("Code used by someone with no right to it")
    UNUSABLE = "unusable", _("Code used while it cannot be")
    PATTERN = "pattern", _("Implausible pattern")
    OVERLAP = "overlap", _("Registration overlap or copied stamp")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


#: Weight of a severity in a case's score (score = weight × how far the threshold is crossed).
SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 3.0, "critical": 4.0}


class Rule(SourcedData):
    """One signal. `thresholds` are its figures; `configurable` says that no legal figure is
    known for them (the authority sets them), else `source` names the text they come from."""

    code = models.SlugField(_("rule"), max_length=60, unique=True)
    group = models.CharField(_("group"), max_length=20, choices=RuleGroup.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    configurable = models.BooleanField(
        _("configurable"),
        default=True,
        help_text=_("No legal figure is known for the thresholds: the authority sets them"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["group", "code"]

    @property
    def label(self) -> str:
        """The title in the active language (rule_titles.py gives the shipped ones)."""
        return gettext(self.title) if self.title else ""

    def __str__(self) -> str:
        return self.code


class SubjectKind(models.TextChoices):
    AREA = "area", _("Planting area")
    PACKING_HOUSE = "packing_house", _("Packing house")
    ORGANISATION = "organisation", _("Organisation")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REVIEW = "under_review", _("Under review")
    DISMISSED = "dismissed", _("Dismissed")
    CONFIRMED = "confirmed", _("Confirmed")
    ACTIONED = "actioned", _("Action taken")


class CaseAction(models.TextChoices):
    WARNING = "warning", _("Warning")
    INSPECTION = "inspection", _("Surprise inspection")
    SUSPENSION = "suspension", _("Suspension of the code")
    REVOCATION = "revocation", _("Revocation of the code")


class Case(models.Model):
    """What the findings of one rule say about one subject in one season. A re-run updates the
    case (figures, evidence, score, `last_found_at`) instead of adding another."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="cases")
    season = models.CharField(_("season"), max_length=9)
    subject_kind = models.CharField(_("subject"), max_length=20, choices=SubjectKind.choices)
    area = models.ForeignKey(
        PlantingArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    packing_house = models.ForeignKey(
        PackingHouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organisation the case is about (an exporter's pattern)"),
    )
    #: A stable key of the subject ("area:12", "packing_house:3", "organisation:7"): with the
    #: rule and the season it makes a case unique.
    subject_key = models.CharField(max_length=40)
    code = models.CharField(_("code"), max_length=40, blank=True)
    party = models.ForeignKey(
        Organisation,
        verbose_name=_("firm using the code"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commune = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    score = models.FloatField(_("score"), default=0)
    #: [{"feature": ..., "value": ..., "contribution": ...}]: what drove the score.
    explanation = models.JSONField(_("why this score"), default=list, blank=True)
    #: {"figures": {...}, "threshold": {...}, "events": [event ids], "lots": [uris], ...}
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    first_found_at = models.DateTimeField(_("first found"), default=timezone.now)
    last_found_at = models.DateTimeField(_("last found"), default=timezone.now)
    times_found = models.PositiveIntegerField(default=1)
    action = models.CharField(_("action"), max_length=20, choices=CaseAction.choices, blank=True)

    class Meta:
        ordering = ["-score", "-last_found_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "season"], name="misuse_case_unique"
            )
        ]
        indexes = [
            models.Index(fields=["province", "season", "status"], name="misuse_case_province"),
            models.Index(fields=["commune", "status"], name="misuse_case_commune"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} · {self.code or self.subject_key} · {self.season}"


class CaseStep(models.Model):
    """One step of the workflow on a case (also written to the audit log)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices)
    action = models.CharField(max_length=20, choices=CaseAction.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    #: What the action made: {"visit": id} / {"code_change": id} …
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status or '·'} → {self.to_status}"


class AreaSeasonVolume(models.Model):
    """Running totals: the kilograms of an area's channels in a season (`detect.volume`:
    harvested, received, packed), kept by the incremental checks for the areas a captured
    document touches and rebuilt by the full scan from the lot graph (`misuse.totals`). The
    volume rules read them instead of summing every event of a commune again."""

    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="+")
    season = models.CharField(max_length=4)
    harvested = models.FloatField(default=0)
    received = models.FloatField(default=0)
    packed = models.FloatField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "season"], name="misuse_area_season_volume")
        ]
        indexes = [models.Index(fields=["season", "area"], name="misuse_volume_season")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.season}"


class FirmCodeDay(models.Model):
    """Running totals: the shipments a firm made on a local day of lots of an area's code
    (`exporter_code_surge` counts distinct codes per firm and window), kept per captured
    document and rebuilt by the full scan (`misuse.totals`)."""

    party = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    shipments = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["party", "day", "area"], name="misuse_firm_code_day")
        ]

    def __str__(self) -> str:
        return f"{self.party_id} {self.day} {self.area_id}"


class FirmDay(models.Model):
    """Running totals: how many shipment events (of lots of any area) a firm made on a local
    day (the evidence count of `exporter_code_surge`), kept like `FirmCodeDay`."""

    party = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    shipments = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["party", "day"], name="misuse_firm_day")]

    def __str__(self) -> str:
        return f"{self.party_id} {self.day}"


class HouseDayVolume(models.Model):
    """Running totals: the kilograms a packing house packed (what its packings took in) on a
    local day (`house_over_capacity`), added per captured document and rebuilt by the full
    scan (`misuse.totals`)."""

    house = models.ForeignKey(PackingHouse, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kg = models.DecimalField(max_digits=30, decimal_places=6, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["house", "day"], name="misuse_house_day_volume")
        ]

    def __str__(self) -> str:
        return f"{self.house_id} {self.day}"


class HouseAreaUse(models.Model):
    """Running totals: the first and last local day a packing house packed or received lots
    of an area in a season (`house_without_contract`: a pair whose days lie within one
    supply contract cannot have a use without one), widened per captured document and
    rebuilt by the full scan (`misuse.totals`)."""

    house = models.ForeignKey(PackingHouse, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="+")
    season = models.CharField(max_length=4)
    first_day = models.DateField()
    last_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["house", "season", "area"], name="misuse_house_area_use"
            )
        ]

    def __str__(self) -> str:
        return f"{self.house_id} {self.area_id} {self.season}"


class LotOrigin(models.Model):
    """Materialised lot graph: a planting area behind a lot (`misuse.origins`). A lot's
    origins are its harvest's `origin_area`, the area of a harvest event naming it, the
    area whose URI namespace it is of when no harvest made it, and the origins of every lot
    it was made or packed from (`trace.LotLink`, up to `detect.base.MAX_DEPTH` generations;
    `depth` is the generation the pair was found at). Filled after each capture and rebuilt
    by `agritrace misuse origins --rebuild`; the rules join it instead of walking the graph."""

    lot = models.ForeignKey(
        "trace.Lot", on_delete=models.CASCADE, related_name="misuse_origins", db_constraint=False
    )
    area = models.ForeignKey(
        PlantingArea, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lot", "area"], name="misuse_lot_origin")]
        indexes = [
            models.Index(fields=["area", "lot"], name="misuse_origin_area"),
            models.Index(fields=["depth"], name="misuse_origin_depth"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} ← {self.area_id}"


class OriginCode(models.Model):
    """The code each planting area had when its namespace lots were last put into
    `LotOrigin` (a lot of `…lot:<code>:…` with no harvest behind it is of that area): a code
    issued, changed or withdrawn since is found by comparing this with the registry
    (`origins.refresh_codes`, at the start of every full scan)."""

    area = models.OneToOneField(
        PlantingArea, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    #: NULL like `PlantingArea.code`: the area had no code.
    code = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001

    def __str__(self) -> str:
        return f"{self.area_id}: {self.code}"


class OriginMark(models.Model):
    """How far `LotOrigin` is known to be complete: every event up to `last_event` (its
    primary key) has had its lots recorded. A full scan first records the events after it
    (captured with the receiver off, or COPYed in), then moves it."""

    last_event = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last_event)


class ShipmentParty(models.Model):
    """Materialised shipment facts: the firm and destination of each shipping event
    (`parties.rows_with_parties`: the event's source owning party, else the organisation
    that captured it; its `destinationCountry` as captured), and its local day. Written after
    each capture and rebuilt with the lot origins (`misuse.origins`); the rights rules and
    `exporter_code_surge` join it with `LotOrigin` instead of reading events in Python. The
    market a country belongs to ("DE" → "EU") is resolved when a rule reads it, against the
    registry's markets of that moment."""

    event = models.OneToOneField(
        "trace.Event",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="misuse_shipment",
        db_constraint=False,
    )
    party = models.ForeignKey(
        Organisation, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    country = models.CharField(max_length=8, blank=True)
    time = models.DateTimeField()
    day = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["time"], name="misuse_shipment_time"),
            models.Index(fields=["party", "day"], name="misuse_shipment_party"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.party_id} {self.country} {self.day}"
