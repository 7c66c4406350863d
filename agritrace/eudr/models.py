"""The province's forest baseline layers: where forest stood on the regulation's cut-off day,
as the province imports it (GeoJSON). A plot of a lot bound for the EU that overlaps one is
flagged in the export."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.places.models import AdminUnit


class ForestBaseline(models.Model):
    """One imported layer: its polygons kept as one GeoJSON MultiPolygon (WGS 84, as the
    registry keeps plots), with its bounding box for a quick filter."""

    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=500)
    source_date = models.DateField(_("date of the layer"))
    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    feature_count = models.PositiveIntegerField(_("features"), default=0)
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return self.name

    @property
    def area_ha(self) -> float:
        return self.area_m2 / 10_000
