"""The product catalogue's kinds and processing relations, processing facilities and non-crop
production units. Products are `registry.Crop` rows (a lot's `crop` is its product), so the
trace, the harvest checks and the public page need no second catalogue; `Product` adds the
kind a crop row is."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.places.models import AdminUnit
from agritrace.registry.models import Crop, Household, SourcedData


class ProductKind(models.TextChoices):
    CROP = "crop", _("Crop product")
    FOREST = "forest", _("Forest product")
    FISHERY = "fishery", _("Fishery product")
    PROCESSED = "processed", _("Processed product")


class Product(SourcedData):
    """What kind of product a catalogue row is (fresh crop, forest, fishery or processed)."""

    crop = models.OneToOneField(Crop, on_delete=models.CASCADE, related_name="product")
    kind = models.CharField(_("kind"), max_length=12, choices=ProductKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "crop__code"]

    def __str__(self) -> str:
        return f"{self.crop.code} ({self.kind})"


class ProcessingRelation(SourcedData):
    """An input product becomes an output product at a processing facility. `ratio`: the
    typical kilograms of output per kilogram of input; empty where no source gives one
    (configurable: the authority sets it, AGRITRACE_PROCESSING_DEFAULT_RATIO applies until)."""

    input = models.ForeignKey(Crop, on_delete=models.CASCADE, related_name="processed_into")
    output = models.ForeignKey(Crop, on_delete=models.CASCADE, related_name="processed_from")
    ratio = models.DecimalField(
        _("typical output per input (kg/kg)"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: not given by a source, configurable"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["input", "output"], name="processing_relation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.input.code} → {self.output.code}"


class ProcessingFacility(models.Model):
    """A processing facility (cơ sở chế biến), registered like a packing house. `code` is the
    facility code the province issues where it issues one (typed as issued: its format is not
    known, AGRITRACE_FACILITY_CODE_PATTERN checks it when set); `identifier` is the service's
    own, made at registration, and names the facility in EPCIS where it has no code."""

    name = models.CharField(_("name"), max_length=200)
    operator = models.ForeignKey(
        Organisation,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="processing_facilities",
    )
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=300)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    capacity_t_per_day = models.DecimalField(
        _("capacity (tonnes/day)"), max_digits=8, decimal_places=2
    )
    products = models.ManyToManyField(Crop, verbose_name=_("products made"), blank=True)
    code = models.CharField(
        _("facility code"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The code the province issued, where it issues one"),
    )
    identifier = models.CharField(_("identifier"), max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.code or self.name

    @property
    def province(self) -> AdminUnit:
        return self.commune.province

    @property
    def location_code(self) -> str:
        """What follows `loc:` in the facility's EPCIS location (facility:…)."""
        return f"facility:{self.identifier}"


class UnitKind(models.TextChoices):
    FOREST_PLOT = "forest_plot", _("Forest plot")
    FISHPOND = "fishpond", _("Fishpond")


class ProductionUnit(models.Model):
    """A non-crop source of lots (a forest plot, a fishpond) with its own identifier, a polygon
    or a point, and its owner (a household or an organisation). A harvest there names it as
    its EPCIS location (unit:…), as a harvest at a planting area names the area."""

    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices)
    identifier = models.CharField(
        _("identifier"),
        max_length=60,
        unique=True,
        help_text=_("The unit's own identifier (forest plot number, pond code)"),
    )
    name = models.CharField(_("name"), max_length=200)
    product = models.ForeignKey(Crop, verbose_name=_("product"), on_delete=models.PROTECT)
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    owner_household = models.ForeignKey(
        Household,
        verbose_name=_("owner household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="production_units",
    )
    owner_org = models.ForeignKey(
        Organisation,
        verbose_name=_("owner organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="production_units",
    )
    geometry = models.JSONField(_("geometry (GeoJSON Polygon or Point)"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    area_m2 = models.FloatField(_("measured area (m²)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]

    def __str__(self) -> str:
        return self.identifier

    @property
    def province(self) -> AdminUnit:
        return self.commune.province

    @property
    def location_code(self) -> str:
        return f"unit:{self.identifier}"
