"""Farm diaries and the inputs they name.

The input catalogue (active ingredients, pesticides with their pre-harvest intervals and label
doses, fertilisers, what a market does not accept, crop yields) is data with its source and
date, kept by the authority. A diary is a list of typed entries (farmOS-like logs) against a
plot or a whole planting area; the rules checked when an entry is saved leave `DiaryFlag`s.
A season's harvest forecast is set against the representative's purchase plan.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.limits import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from agritrace.registry.models import Crop, Household, Market, PlantingArea, Plot, SourcedData

# ---------------------------------------------------------------- units (UN/CEFACT Rec. 20)


class Unit(models.TextChoices):
    GRM = "GRM", _("g (gram)")
    KGM = "KGM", _("kg (kilogram)")
    TNE = "TNE", _("t (tonne)")
    MLT = "MLT", _("ml (millilitre)")
    LTR = "LTR", _("l (litre)")
    MTQ = "MTQ", _("m³ (cubic metre)")
    H87 = "H87", _("pieces (trees, fruits, bags)")
    HAR = "HAR", _("ha (hectare worked)")


MASS = "mass"
VOLUME = "volume"
COUNT = "count"
AREA = "area"

#: unit → (dimension, factor to the dimension's base unit: kg, litre, piece, hectare)
UNIT_SCALE: dict[str, tuple[str, Decimal]] = {
    Unit.GRM: (MASS, Decimal("0.001")),
    Unit.KGM: (MASS, Decimal("1")),
    Unit.TNE: (MASS, Decimal("1000")),
    Unit.MLT: (VOLUME, Decimal("0.001")),
    Unit.LTR: (VOLUME, Decimal("1")),
    Unit.MTQ: (VOLUME, Decimal("1000")),
    Unit.H87: (COUNT, Decimal("1")),
    Unit.HAR: (AREA, Decimal("1")),
}


#: Short symbols for tables on a phone screen.
UNIT_SYMBOLS = {
    "GRM": "g",
    "KGM": "kg",
    "TNE": "t",
    "MLT": "ml",
    "LTR": "l",
    "MTQ": "m³",
    "H87": _("pcs"),
    "HAR": "ha",
}


class DoseBasis(models.TextChoices):
    PER_HA = "HAR", _("per hectare")
    PER_LITRE = "LTR", _("per litre of spray water")


# ---------------------------------------------------------------- the input catalogue


class ActiveIngredient(SourcedData):
    name = models.CharField(_("name"), max_length=120, unique=True)
    cas_number = models.CharField(_("CAS number"), max_length=20, blank=True)
    banned_in_vietnam = models.BooleanField(
        _("banned in Vietnam"),
        default=False,
        help_text=_("Removed from Vietnam's list of pesticides permitted for use"),
    )
    banned_from = models.DateField(
        _("banned from"),
        null=True,
        blank=True,
        help_text=_("First day on which trade and use are no longer allowed"),
    )
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def banned_on(self, day) -> bool:
        return self.banned_in_vietnam and (self.banned_from is None or day >= self.banned_from)


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered (permitted in Vietnam)")
    BANNED = "banned", _("Banned in Vietnam")
    WITHDRAWN = "withdrawn", _("Withdrawn from the permitted list")
    UNREGISTERED = "unregistered", _("Not registered in Vietnam")


class ProductForm(models.TextChoices):
    LIQUID = "liquid", _("Liquid (measured by volume)")
    POWDER = "powder", _("Powder (measured by mass)")
    GRANULE = "granule", _("Granules (measured by mass)")


class Pesticide(SourcedData):
    trade_name = models.CharField(_("trade name"), max_length=150)
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    status = models.CharField(
        _("registration status in Vietnam"),
        max_length=20,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.REGISTERED,
    )
    form = models.CharField(
        _("physical form"), max_length=10, choices=ProductForm.choices, default=ProductForm.LIQUID
    )
    formulation = models.CharField(
        _("formulation"), max_length=10, blank=True, help_text=_("EC, SC, WP, WG, GR, ...")
    )
    ingredients = models.ManyToManyField(
        ActiveIngredient, through="PesticideIngredient", related_name="pesticides"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trade_name"]
        constraints = [
            models.UniqueConstraint(fields=["trade_name"], name="pesticide_trade_name_unique")
        ]

    def __str__(self) -> str:
        return self.trade_name

    @property
    def measured_by(self) -> str:
        return VOLUME if self.form == ProductForm.LIQUID else MASS


class PesticideIngredient(models.Model):
    pesticide = models.ForeignKey(Pesticide, on_delete=models.CASCADE, related_name="composition")
    ingredient = models.ForeignKey(ActiveIngredient, on_delete=models.PROTECT, related_name="+")
    concentration = models.DecimalField(
        _("concentration"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    concentration_unit = models.CharField(
        _("concentration unit"), max_length=10, blank=True, help_text=_("g/L, g/kg or %")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pesticide", "ingredient"], name="pesticide_ai_unique")
        ]

    def __str__(self) -> str:
        if self.concentration is None:
            return str(self.ingredient)
        return f"{self.ingredient} {self.concentration.normalize():f} {self.concentration_unit}"


class PesticidePHI(SourcedData):
    """What the label says for one crop: the pre-harvest interval and the largest dose."""

    pesticide = models.ForeignKey(Pesticide, on_delete=models.CASCADE, related_name="phis")
    crop = models.ForeignKey(Crop, verbose_name=_("crop"), on_delete=models.CASCADE)
    phi_days = models.PositiveSmallIntegerField(_("pre-harvest interval (days)"))
    max_dose = models.DecimalField(
        _("largest dose on the label"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    max_dose_unit = models.CharField(
        _("unit of the dose"), max_length=3, choices=Unit.choices, blank=True
    )
    dose_basis = models.CharField(
        _("dose basis"), max_length=3, choices=DoseBasis.choices, default=DoseBasis.PER_HA
    )

    class Meta:
        ordering = ["pesticide", "crop"]
        constraints = [
            models.UniqueConstraint(fields=["pesticide", "crop"], name="phi_pesticide_crop")
        ]

    def __str__(self) -> str:
        return f"{self.pesticide} / {self.crop}: {self.phi_days} d"


class FertiliserKind(models.TextChoices):
    INORGANIC = "inorganic", _("Inorganic (mineral)")
    ORGANIC = "organic", _("Organic")
    BIO = "bio", _("Biological / microbial")
    FOLIAR = "foliar", _("Foliar")


class Fertiliser(SourcedData):
    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(
        _("type"), max_length=12, choices=FertiliserKind.choices, default=FertiliserKind.INORGANIC
    )
    form = models.CharField(
        _("physical form"), max_length=10, choices=ProductForm.choices, default=ProductForm.GRANULE
    )
    n_percent = models.DecimalField("N %", max_digits=5, decimal_places=2, default=0)
    p_percent = models.DecimalField("P₂O₅ %", max_digits=5, decimal_places=2, default=0)
    k_percent = models.DecimalField("K₂O %", max_digits=5, decimal_places=2, default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def npk(self) -> str:
        return "-".join(
            f"{v.normalize():f}" for v in (self.n_percent, self.p_percent, self.k_percent)
        )

    @property
    def measured_by(self) -> str:
        return VOLUME if self.form == ProductForm.LIQUID else MASS


class MarketIngredientRule(SourcedData):
    """Whether produce for a market may be grown with an active ingredient."""

    market = models.ForeignKey(
        Market, verbose_name=_("market"), on_delete=models.CASCADE, related_name="+"
    )
    ingredient = models.ForeignKey(
        ActiveIngredient,
        verbose_name=_("active ingredient"),
        on_delete=models.CASCADE,
        related_name="market_rules",
    )
    allowed = models.BooleanField(_("allowed"), default=False)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["market", "ingredient"]
        constraints = [
            models.UniqueConstraint(fields=["market", "ingredient"], name="market_ingredient")
        ]

    def __str__(self) -> str:
        return f"{self.market.code} / {self.ingredient}: {'ok' if self.allowed else 'no'}"


class CropYield(SourcedData):
    """Yield of a crop per hectare and year, the basis of a harvest forecast."""

    crop = models.OneToOneField(
        Crop, verbose_name=_("crop"), on_delete=models.CASCADE, related_name="yield_data"
    )
    tonnes_per_ha = models.DecimalField(
        _("yield (tonnes per hectare and year)"), max_digits=7, decimal_places=2
    )

    class Meta:
        ordering = ["crop__code"]

    def __str__(self) -> str:
        return f"{self.crop}: {self.tonnes_per_ha} t/ha"


# ---------------------------------------------------------------- the diary


class EntryKind(models.TextChoices):
    PLANTING = "planting", _("Planting")
    FERTILISING = "fertilising", _("Fertilising")
    SPRAYING = "spraying", _("Spraying")
    IRRIGATION = "irrigation", _("Irrigation")
    PRUNING = "pruning", _("Pruning")
    FRUIT_BAGGING = "fruit_bagging", _("Fruit bagging")
    FLOWER_FRUIT_TREATMENT = "flower_fruit_treatment", _("Flower / fruit treatment")
    HARVEST = "harvest", _("Harvest")
    OTHER = "other", _("Other")


class DiaryEntry(models.Model):
    """One thing done on a plot or on a whole planting area.

    `plot` set: an entry for that plot (`area` is then the plot's area, kept for queries).
    `plot` empty: an entry for the whole `area`.
    """

    area = models.ForeignKey(
        PlantingArea,
        verbose_name=_("planting area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="diary_entries",
    )
    plot = models.ForeignKey(
        Plot,
        verbose_name=_("plot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="diary_entries",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=EntryKind.choices)
    date = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by_org = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_for = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="diary_entries",
    )
    pesticide = models.ForeignKey(
        Pesticide, verbose_name=_("pesticide"), null=True, blank=True, on_delete=models.PROTECT
    )
    fertiliser = models.ForeignKey(
        Fertiliser, verbose_name=_("fertiliser"), null=True, blank=True, on_delete=models.PROTECT
    )
    other_product = models.CharField(
        _("other product (not in the catalogue)"),
        max_length=150,
        blank=True,
        help_text=_("The product's name as written on its package, when it is not in the list"),
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, blank=True)
    spray_volume_l = models.DecimalField(
        _("spray water (litres)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    treated_area_ha = models.DecimalField(
        _("area (ha)"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    dose_per_ha = models.DecimalField(
        _("dose per hectare"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX_LENGTH)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["area", "kind", "date"]),
            models.Index(fields=["plot", "kind", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__isnull=False) | models.Q(plot__isnull=False),
                name="diary_entry_has_ground",
            ),
            models.CheckConstraint(
                condition=models.Q(pesticide__isnull=True) | models.Q(fertiliser__isnull=True),
                name="diary_entry_one_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date} {self.ground_label}"

    @property
    def product(self) -> Pesticide | Fertiliser | None:
        return self.pesticide or self.fertiliser

    @property
    def product_label(self) -> str:
        product = self.product
        return str(product) if product else self.other_product

    @property
    def unit_symbol(self) -> str:
        return UNIT_SYMBOLS.get(self.unit, self.unit)

    @property
    def is_whole_area(self) -> bool:
        return self.plot_id is None

    @property
    def ground_label(self) -> str:
        if self.plot_id:
            return str(self.plot)
        return str(self.area)

    @property
    def crop(self) -> Crop | None:
        if self.plot_id:
            return self.plot.crop
        return self.area.crop if self.area_id else None


class DiaryEntryRevision(models.Model):
    """An earlier version of an entry, kept when the entry is changed."""

    entry = models.ForeignKey(DiaryEntry, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)

    class Meta:
        ordering = ["entry", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="diary_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} r{self.number}"


class FlagKind(models.TextChoices):
    BANNED_PRODUCT = "banned_product", _("Banned or withdrawn product")
    UNREGISTERED_PRODUCT = "unregistered_product", _("Product not registered in Vietnam")
    MARKET_INGREDIENT = "market_ingredient", _("Active ingredient not allowed for a market")
    PHI = "phi", _("Harvest inside the pre-harvest interval")
    DOSE = "dose", _("Dose above the label's maximum")


class DiaryFlag(models.Model):
    """A rule an entry breaks. The entry is kept (a diary records what happened); the flag
    stays open until an officer closes it."""

    entry = models.ForeignKey(DiaryEntry, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("kind"), max_length=30, choices=FlagKind.choices)
    market = models.ForeignKey(Market, null=True, blank=True, on_delete=models.PROTECT)
    ingredient = models.ForeignKey(
        ActiveIngredient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_entry = models.ForeignKey(
        DiaryEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The spray whose pre-harvest interval a harvest falls in"),
    )
    message = models.TextField(_("message"))
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("how it was closed"), blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def key(self) -> tuple:
        """What makes two flags the same finding (used when an entry is re-checked)."""
        return (self.kind, self.market_id, self.ingredient_id, self.related_entry_id)


# ---------------------------------------------------------------- forecast and purchase plan


class Forecast(models.Model):
    """Expected harvest of an area in a season (sản lượng dự kiến), recomputed on demand."""

    area = models.ForeignKey(PlantingArea, on_delete=models.CASCADE, related_name="forecasts")
    season = models.CharField(_("season"), max_length=20, help_text=_("2026, or 2026-1, 2026-2"))
    starts_on = models.DateField(_("season starts"))
    ends_on = models.DateField(_("season ends"))
    area_ha = models.DecimalField(_("area (ha)"), max_digits=12, decimal_places=4, default=0)
    yield_t_per_ha = models.DecimalField(
        _("yield (t/ha per season)"), max_digits=9, decimal_places=3, default=0
    )
    yield_source = models.CharField(max_length=300, blank=True)
    model_t = models.DecimalField(_("area × yield (t)"), max_digits=12, decimal_places=3, default=0)
    harvested_t = models.DecimalField(
        _("harvested so far (t)"), max_digits=12, decimal_places=3, default=0
    )
    expected_t = models.DecimalField(
        _("expected harvest (t)"), max_digits=12, decimal_places=3, default=0
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["area", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["area", "season"], name="forecast_area_season")
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.season}: {self.expected_t} t"

    @property
    def planned_t(self) -> Decimal:
        if self.pk is None:
            return Decimal(0)
        return sum((p.tonnes for p in self.plan.all()), Decimal(0))

    @property
    def over_capacity(self) -> bool:
        return self.planned_t > self.expected_t


class PurchasePlan(models.Model):
    """One row of the representative's purchase plan: who buys how much, in which month."""

    forecast = models.ForeignKey(Forecast, on_delete=models.CASCADE, related_name="plan")
    buyer = models.CharField(_("buyer"), max_length=200)
    buyer_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tonnes = models.DecimalField(_("tonnes"), max_digits=10, decimal_places=3)
    month = models.DateField(_("month"), help_text=_("First day of the month"))

    class Meta:
        ordering = ["month", "pk"]

    def __str__(self) -> str:
        return f"{self.buyer} {self.month:%Y-%m}: {self.tonnes} t"
