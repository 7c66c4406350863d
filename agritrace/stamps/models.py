"""Traceability stamps: batches requested for a packed lot, the serialised stamps in them and
every scan of a stamp.

Built for the hottest path of the service (tens of millions of stamps, each scanned several
times): a lookup is one query on `Stamp.serial` (unique index) joined to its batch; the lot's
summary is cached (services.lot_summary); a scan is one insert plus one indexed read of that
stamp's recent scans.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.places.models import AdminUnit


class StampBatch(models.Model):
    """One request for stamps for one packed lot."""

    lot = models.ForeignKey("trace.Lot", on_delete=models.PROTECT, related_name="stamp_batches")
    #: The Digital Link primary key of the lot's stamps: "01" (GTIN) or the service's own key.
    primary = models.CharField(max_length=4)
    key = models.CharField(_("GTIN or owner code"), max_length=60)
    lot_code = models.CharField(_("lot"), max_length=60)
    requested_by = models.ForeignKey(
        Organisation,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="stamp_batches",
    )
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    packing_house = models.ForeignKey(
        "registry.PackingHouse",
        verbose_name=_("packing house"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stamp_batches",
    )
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField(_("number of stamps"))
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.lot_code} × {self.count}"


class Stamp(models.Model):
    """One serialised stamp. The serial is at least 64 random bits (base32); the signature is
    not stored: it is recomputed from the key named by `key_id`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        VOIDED = "voided", _("Voided")

    serial = models.CharField(_("serial"), max_length=32, unique=True)
    batch = models.ForeignKey(StampBatch, on_delete=models.PROTECT, related_name="stamps")
    key_id = models.CharField(_("key"), max_length=16)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    suspected_copy_at = models.DateTimeField(_("suspected copy since"), null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.serial


class Scan(models.Model):
    """One opening of a stamp's URI. No IP address is stored: `client` is a salted hash of the
    client; the place is coarse (about 10 km) and only there when the person shared it."""

    stamp = models.ForeignKey(Stamp, on_delete=models.CASCADE, related_name="scans")
    at = models.DateTimeField(default=timezone.now)
    #: A salted hash of the client for the public page and anonymous lookups; for the JSON
    #: lookup of an authenticated system, "org:<identifier>" of the calling organisation.
    client = models.CharField(max_length=48)
    lat = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    lon = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["stamp", "at"], name="stamps_scan_stamp_at")]

    def __str__(self) -> str:
        return f"{self.stamp_id} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def has_place(self) -> bool:
        return self.lat is not None and self.lon is not None
