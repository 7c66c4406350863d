"""Organisations, the people in them, and machine tokens."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.places.models import AdminUnit


class OrgKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry / national department")
    PROVINCE = "province_department", _("Provincial Department of Agriculture and Environment")
    PLANT_PROTECTION = "plant_protection_office", _("Crop Production and Plant Protection office")
    COMMUNE = "commune", _("Commune / ward People's Committee")
    REPRESENTATIVE = "representative", _("Area representative (cooperative, enterprise)")
    HOUSEHOLD = "household", _("Household")
    PACKING_HOUSE = "packing_house", _("Packing house")
    EXPORTER = "exporter", _("Exporter")
    LABORATORY = "laboratory", _("Laboratory")
    PROCESSOR = "processor", _("Processing facility operator")


#: Short words for the kinds in public identifiers (`Organisation.identifier`).
KIND_WORDS = {
    "ministry": "MIN",
    "province_department": "DEP",
    "plant_protection_office": "PPO",
    "commune": "COM",
    "representative": "REP",
    "household": "HH",
    "packing_house": "PH",
    "exporter": "EXP",
    "laboratory": "LAB",
    "processor": "PRC",
}

#: Kinds that act for the state over a territory (their unit's province or commune).
AUTHORITY_KINDS = {OrgKind.MINISTRY, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION}


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    OFFICER = "officer", _("Officer")
    INSPECTOR = "inspector", _("Inspector")
    STAFF = "staff", _("Staff")
    VIEWER = "viewer", _("Viewer (read only)")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=OrgKind.choices)
    unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("administrative unit"),
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text=_("Province for provincial bodies, commune for the others"),
    )
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    gln = models.CharField(
        _("GLN"),
        max_length=13,
        blank=True,
        help_text=_("GS1 Global Location Number of the party, where it has one (13 digits)"),
    )
    identifier = models.CharField(
        _("public identifier"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Stable code of the organisation, made when it is added (never reused)"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.identifier:
            self.identifier = self.next_identifier()
        super().save(*args, **kwargs)

    def next_identifier(self) -> str:
        """The next free public identifier for an organisation of this kind on this unit:
        the unit's official code, a word for the kind and a serial (`66-EXP-0003`)."""
        unit = self.unit.code if self.unit_id else "00"
        prefix = f"{unit}-{KIND_WORDS.get(self.kind, 'ORG')}-"
        serial = Organisation.objects.filter(identifier__startswith=prefix).count() + 1
        while Organisation.objects.filter(identifier=f"{prefix}{serial:04d}").exists():
            serial += 1
        return f"{prefix}{serial:04d}"

    @property
    def is_authority(self) -> bool:
        return self.kind in AUTHORITY_KINDS


class Membership(models.Model):
    """A user acts for one organisation with one role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A machine's key to the API. Only its SHA-256 is stored; the raw token is shown once."""

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("The person the machine acts for; their role applies"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        raw = "agt_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organisation=user.membership.organisation,
            user=user,
            name=name,
            prefix=raw[:12],
            token_hash=_hash_token(raw),
        )
        return token, raw

    @classmethod
    def find_active(cls, raw: str) -> "ApiToken | None":
        token = (
            cls.objects.select_related("user", "organisation")
            .filter(token_hash=_hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        # Refuse a token whose user has since moved to another organisation.
        membership = getattr(token.user, "membership", None)
        if membership is None or membership.organisation_id != token.organisation_id:
            return None
        return token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Profile(models.Model):
    """A person's own preferences (one row per user, made when one is first saved)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the pages after logging in; empty: the site's default"),
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.language or '-'})"
