"""The code registry: planting areas, households, plots, packing houses, their applications
and codes, market approvals and exporters' authorisations."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.limits import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from agritrace.places.models import AdminUnit

# ---------------------------------------------------------------- catalogues (regulatory data)


class SourcedData(models.Model):
    """Regulatory facts carry where they come from and when; 'unknown' is an honest source."""

    source = models.CharField(_("source"), max_length=300, default="unknown")
    source_date = models.DateField(_("source date"), null=True, blank=True)

    class Meta:
        abstract = True


class Crop(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name_vi = models.CharField(_("Vietnamese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    scientific_name = models.CharField(_("scientific name"), max_length=150, blank=True)

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_vi if (get_language() or "vi").startswith("vi") else self.name_en


class Variety(models.Model):
    crop = models.ForeignKey(Crop, on_delete=models.PROTECT, related_name="varieties")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["crop", "name"]
        constraints = [models.UniqueConstraint(fields=["crop", "name"], name="variety_unique")]

    def __str__(self) -> str:
        return self.name


class Market(SourcedData):
    code = models.CharField(max_length=8, unique=True, help_text=_("CN, US, AU, ..., VN"))
    name_vi = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    needs_importer_approval = models.BooleanField(
        default=True,
        help_text=_(
            "An export code is usable for this market only once the importing country "
            "has approved it"
        ),
    )
    requirements = models.TextField(_("requirements"), blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_vi if (get_language() or "vi").startswith("vi") else self.name_en


class MarketRule(SourcedData):
    """What a market asks of an area before a file can be submitted for it (per crop)."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="rules")
    crop = models.ForeignKey(Crop, null=True, blank=True, on_delete=models.CASCADE)
    min_area_ha = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    single_variety = models.BooleanField(default=False)
    permitted_varieties = models.ManyToManyField(Variety, blank=True)
    required_certificates = models.JSONField(
        default=list, blank=True, help_text=_("Any one of these certificate kinds is required")
    )
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    def __str__(self) -> str:
        return f"{self.market.code} / {self.crop or '*'}"


class CodeFormat(SourcedData):
    """Template of a code per kind of holder, set by the authority."""

    KIND_CHOICES = [("area", _("Planting area")), ("packing_house", _("Packing house"))]
    kind = models.CharField(max_length=20, choices=KIND_CHOICES, unique=True)
    template = models.CharField(
        max_length=100,
        default="VN-{province}{kind}-{serial:04d}",
        help_text=_("Placeholders: {province} abbreviation, {kind} OR or PH, {serial}"),
    )
    kind_segment = models.CharField(max_length=4)

    def __str__(self) -> str:
        return f"{self.kind}: {self.template}"


class CodeSerial(models.Model):
    """Last serial handed out per code prefix; only ever grows, so a code is never reused."""

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_serial}"

    prefix = models.CharField(max_length=200, unique=True)
    last_serial = models.PositiveIntegerField(default=0)


# ---------------------------------------------------------------- code holders


class CodeStatus(models.TextChoices):
    NONE = "none", _("No code")
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class CodeHolder(models.Model):
    """What planting areas and packing houses share: a code and its state."""

    code = models.CharField(_("code"), max_length=40, unique=True, null=True, blank=True)
    code_status = models.CharField(
        _("code status"), max_length=12, choices=CodeStatus.choices, default=CodeStatus.NONE
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    status_reason = models.TextField(_("reason"), blank=True, max_length=REASON_MAX_LENGTH)
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def province(self) -> AdminUnit:
        return self.commune.province


class PlantingArea(CodeHolder):
    name = models.CharField(_("name"), max_length=200)
    representative = models.ForeignKey(
        Organisation,
        verbose_name=_("representative"),
        on_delete=models.PROTECT,
        related_name="planting_areas",
    )
    crop = models.ForeignKey(Crop, verbose_name=_("crop"), on_delete=models.PROTECT)
    variety = models.ForeignKey(
        Variety, verbose_name=_("variety"), null=True, blank=True, on_delete=models.PROTECT
    )
    village = models.CharField(_("village"), max_length=120, blank=True)
    declared_area_ha = models.DecimalField(_("declared area (ha)"), max_digits=10, decimal_places=2)
    measured_area_ha = models.DecimalField(
        _("measured area (ha)"), max_digits=12, decimal_places=4, default=0
    )
    expected_yield_t = models.DecimalField(
        _("expected yield (tonnes/season)"), max_digits=10, decimal_places=2, default=0
    )
    harvests_per_year = models.PositiveSmallIntegerField(_("harvests per year"), default=1)
    markets = models.ManyToManyField(Market, verbose_name=_("target markets"), blank=True)
    households = models.ManyToManyField(
        "Household", verbose_name=_("member households"), related_name="areas", blank=True
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["code_status"])]

    def __str__(self) -> str:
        return self.code or self.name

    HOLDER_KIND = "area"


class Certificate(models.Model):
    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    KINDS = [
        ("vietgap", "VietGAP"),
        ("globalgap", "GlobalG.A.P."),
        ("organic", _("Organic")),
        ("other", _("Other")),
    ]
    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    number = models.CharField(_("number"), max_length=60)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day <= self.valid_to


class Household(models.Model):
    representative = models.ForeignKey(
        Organisation,
        verbose_name=_("representative"),
        on_delete=models.PROTECT,
        related_name="member_households",
    )
    organisation = models.OneToOneField(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="household",
        help_text=_("The household's own organisation, when its members log in"),
    )
    name = models.CharField(_("head of household"), max_length=150)
    address = models.CharField(_("address"), max_length=300, blank=True)
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    national_id = models.CharField(
        _("national ID number"), max_length=12, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Plot(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="plots"
    )
    area = models.ForeignKey(
        PlantingArea,
        verbose_name=_("planting area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plots",
    )
    label = models.CharField(_("plot label"), max_length=60)
    crop = models.ForeignKey(Crop, verbose_name=_("crop"), on_delete=models.PROTECT)
    planting_year = models.PositiveSmallIntegerField(_("planting year"), null=True, blank=True)
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    area_m2 = models.FloatField(_("measured area (m²)"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    centroid_lon = models.FloatField()
    centroid_lat = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household", "label"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.household} / {self.label}"

    @property
    def area_ha(self) -> float:
        return self.area_m2 / 10_000


class PlotOverlap(models.Model):
    """A flag: two plots of different households or different codes share ground."""

    def __str__(self) -> str:
        return f"{self.plot} ∩ {self.other}: {self.overlap_m2:.0f} m²"

    plot = models.ForeignKey(Plot, on_delete=models.CASCADE, related_name="overlaps")
    other = models.ForeignKey(Plot, on_delete=models.CASCADE, related_name="+")
    overlap_m2 = models.FloatField()
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plot", "other"], name="overlap_unique")]


class PackingHouse(CodeHolder):
    name = models.CharField(_("name"), max_length=200)
    operator = models.ForeignKey(
        Organisation,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="packing_houses",
    )
    address = models.CharField(_("address"), max_length=300)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    capacity_t_per_day = models.DecimalField(
        _("capacity (tonnes/day)"), max_digits=8, decimal_places=2
    )
    crops = models.ManyToManyField(Crop, verbose_name=_("crops"), blank=True)
    markets = models.ManyToManyField(Market, verbose_name=_("markets"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.code or self.name

    HOLDER_KIND = "packing_house"


class SupplyContract(models.Model):
    def __str__(self) -> str:
        return f"{self.area} → {self.packing_house} ({self.valid_from}–{self.valid_to})"

    packing_house = models.ForeignKey(
        PackingHouse, on_delete=models.CASCADE, related_name="supply_contracts"
    )
    area = models.ForeignKey(
        PlantingArea, on_delete=models.CASCADE, related_name="supply_contracts"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    reference = models.CharField(_("contract reference"), max_length=60, blank=True)


# ---------------------------------------------------------------- applications and lifecycle


class AppStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_APPRAISAL = "under_appraisal", _("Under appraisal")
    RETURNED = "returned", _("Returned to applicant")
    FIELD_INSPECTION = "field_inspection", _("Field inspection")
    APPROVED = "approved", _("Approved")
    ISSUED = "issued", _("Code issued")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(models.Model):
    """A file asking for a code (or for a change to an issued one)."""

    KIND_CHOICES = [
        ("new", _("New code")),
        ("change", _("Change to an issued code")),
        ("renewal", _("Renewal")),
    ]
    area = models.ForeignKey(
        PlantingArea, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    packing_house = models.ForeignKey(
        PackingHouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES, default="new")
    status = models.CharField(
        _("status"), max_length=20, choices=AppStatus.choices, default=AppStatus.DRAFT
    )
    applicant = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline of the current step"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(area__isnull=False, packing_house__isnull=True)
                    | models.Q(area__isnull=True, packing_house__isnull=False)
                ),
                name="application_has_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def subject(self) -> CodeHolder:
        return self.area if self.area_id else self.packing_house

    @property
    def is_overdue(self) -> bool:
        return bool(self.deadline and self.deadline < timezone.localdate())

    @property
    def is_open(self) -> bool:
        return self.status not in {AppStatus.ISSUED, AppStatus.REJECTED, AppStatus.WITHDRAWN}


class ApplicationStep(models.Model):
    """One move of an application or a code: who, when, why, and the next deadline."""

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"

    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    area = models.ForeignKey(
        PlantingArea, null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    packing_house = models.ForeignKey(
        PackingHouse, null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_org = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason"), blank=True, max_length=REASON_MAX_LENGTH)
    deadline = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class ApplicationDocument(models.Model):
    def __str__(self) -> str:
        return self.title

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="applications/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Inspection(models.Model):
    """A field inspection of an application (monitoring visits come with supervision)."""

    def __str__(self) -> str:
        return f"{self.application} @ {self.scheduled_for}"

    RESULT_CHOICES = [("passed", _("Passed")), ("failed", _("Failed"))]
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="inspections"
    )
    scheduled_for = models.DateField(_("scheduled for"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    checklist = models.JSONField(default=dict, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=RESULT_CHOICES, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX_LENGTH)


# ---------------------------------------------------------------- markets and authorisations


class ApprovalStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    SUBMITTED = "submitted_to_ppd", _("Submitted to the Plant Protection Department")
    SENT = "sent_to_country", _("Sent to the importing country")
    APPROVED = "approved", _("Approved by the importing country")
    REFUSED = "refused", _("Refused by the importing country")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MarketApproval(models.Model):
    def __str__(self) -> str:
        return f"{self.area or self.packing_house} / {self.market.code}: {self.status}"

    area = models.ForeignKey(
        PlantingArea, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals"
    )
    packing_house = models.ForeignKey(
        PackingHouse, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals"
    )
    market = models.ForeignKey(Market, on_delete=models.PROTECT)
    status = models.CharField(
        max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.PREPARING
    )
    submitted_at = models.DateField(null=True, blank=True)
    sent_at = models.DateField(null=True, blank=True)
    decided_at = models.DateField(null=True, blank=True)
    importer_list_ref = models.CharField(_("importer's list reference"), max_length=120, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "market"], name="approval_area_market"),
            models.UniqueConstraint(fields=["packing_house", "market"], name="approval_ph_market"),
        ]


class AuthorisationOrigin(models.TextChoices):
    GRANTED = "granted", _("Granted in AgriTrace")
    PAPER = "paper", _("From a paper authorisation")


class CodeAuthorisation(models.Model):
    """A representative lets an exporter or packing house use its area code for a market:
    granted in AgriTrace by the representative, or recorded by the province from a paper
    authorisation (its document number and date; its period may lie in the past)."""

    def __str__(self) -> str:
        return f"{self.area} → {self.grantee} ({self.market.code})"

    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="authorisations")
    grantee = models.ForeignKey(
        Organisation,
        verbose_name=_("exporter or packing house"),
        on_delete=models.PROTECT,
        related_name="code_authorisations",
    )
    market = models.ForeignKey(Market, verbose_name=_("market"), on_delete=models.PROTECT)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)

    #: The first day the withdrawal takes effect (the authorisation holds until the day before);
    #: the days before it keep their answer. Null while the authorisation is not withdrawn.
    withdrawn_from = models.DateField(_("withdrawn from"), null=True, blank=True)
    origin = models.CharField(
        _("origin"),
        max_length=10,
        choices=AuthorisationOrigin.choices,
        default=AuthorisationOrigin.GRANTED,
    )
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)

    def is_active_on(self, day) -> bool:
        return self.valid_from <= day <= self.valid_to and (
            self.withdrawn_from is None or day < self.withdrawn_from
        )


class CodeStatusChange(models.Model):
    """One move of a code's status, effective from a moment: the history by which every rule
    judges an event at the event's time (`registry.history`). Written by `registry.lifecycle`
    with each move, and by imports of codes issued before AgriTrace."""

    def __str__(self) -> str:
        return f"{self.code}: {self.status} from {self.effective_at:%Y-%m-%d %H:%M}"

    area = models.ForeignKey(
        PlantingArea, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    packing_house = models.ForeignKey(
        PackingHouse, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    code = models.CharField(_("code"), max_length=40, blank=True)
    status = models.CharField(_("code status"), max_length=12, choices=CodeStatus.choices)
    effective_at = models.DateTimeField(_("effective from"))
    until = models.DateField(_("suspended until"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=REASON_MAX_LENGTH)
    source = models.CharField(_("source"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["effective_at", "pk"]
        indexes = [
            models.Index(fields=["area", "effective_at"]),
            models.Index(fields=["packing_house", "effective_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__isnull=False, packing_house__isnull=True)
                | models.Q(area__isnull=True, packing_house__isnull=False),
                name="status_change_one_holder",
            )
        ]


from .models_import import CodeImport  # noqa: E402, F401  (a model of this app, kept apart)
