"""An import of codes issued before AgriTrace (`registry.code_import`): the uploaded file,
its report, and whether it was applied. Kept so that the page can show the dry run and apply
that same file, and so that the audit entry of an applied import names what was read."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation


class CodeImport(models.Model):
    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked (dry run)")
        APPLIED = "applied", _("Applied")

    def __str__(self) -> str:
        return f"code import {self.pk} ({self.filename})"

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    content = models.BinaryField(_("file content"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    report = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
