"""Administrative units of Vietnam: the current two-level tree (since 1 July 2025: 34
provinces, communes and wards) and the earlier three-level one (63 provinces, districts,
communes), with the mapping from earlier units to the current ones."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tree(models.TextChoices):
    CURRENT = "2025", _("Current (since 1 July 2025)")
    LEGACY = "2008", _("Earlier (63 provinces, with districts)")


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune / ward")


class AdminUnit(models.Model):
    tree = models.CharField(max_length=4, choices=Tree.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=10, help_text=_("Official code of the unit (GSO)"))
    name = models.CharField(max_length=120)
    division_type = models.CharField(max_length=40, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tree", "level", "code"], name="unit_unique_code")
        ]
        indexes = [models.Index(fields=["tree", "level", "name"])]
        ordering = ["tree", "level", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def province(self) -> "AdminUnit":
        unit = self
        while unit.level != Level.PROVINCE and unit.parent_id:
            unit = unit.parent
        return unit

    def full_name(self) -> str:
        parts = []
        unit: AdminUnit | None = self
        while unit is not None:
            parts.append(unit.name)
            unit = unit.parent
        return ", ".join(parts)


class UnitMapping(models.Model):
    """An earlier unit (all or part of it) now lies in a current unit."""

    legacy = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="mapped_to")
    current = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="mapped_from")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["legacy", "current"], name="unit_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.legacy} → {self.current}"


class ProvinceAbbreviation(models.Model):
    """The two-letter province part of an export code (VN-DTOR-0017). Regulatory data: the
    authority edits it; codes issued under an earlier abbreviation keep it forever."""

    province = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="abbreviations")
    abbreviation = models.CharField(max_length=4)
    source = models.CharField(
        max_length=300, help_text=_("Where the abbreviation comes from, or 'unknown'")
    )
    source_date = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["province"],
                condition=models.Q(active=True),
                name="one_active_abbreviation_per_province",
            )
        ]

    def __str__(self) -> str:
        return f"{self.abbreviation} ({self.province})"
