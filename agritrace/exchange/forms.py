"""The exchange page's forms: they only parse; the rules (an http(s) address, a webhook's
secret, known column keys) are config.py's, shown beside the field."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ConnectorKind, MessageKind


class ConnectorForm(forms.Form):
    name = forms.CharField(label=_("Name"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ConnectorKind.choices)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    url = forms.CharField(
        label=_("Address"),
        required=False,
        help_text=_("EPCIS: the repository's base address, …/capture is added; webhook: its URL"),
    )
    token = forms.CharField(
        label=_("Bearer token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("EPCIS repository's token; left empty, the stored one is kept"),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Webhook's HMAC-SHA256 key; left empty, the stored one is kept"),
    )
    folder = forms.CharField(label=_("Folder"), required=False, help_text=_("File drop only"))
    kinds = forms.MultipleChoiceField(
        label=_("Message kinds"),
        required=False,
        choices=MessageKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the kinds this connector's kind takes by default"),
    )
    columns = forms.CharField(
        label=_("Column mapping (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "File drop: a JSON list of {key, header, source}; empty: the default mapping "
            "(unconfirmed)"
        ),
    )
    batch_size = forms.IntegerField(label=_("Messages per request"), min_value=1, initial=50)
    max_attempts = forms.IntegerField(
        label=_("Attempts before a dead letter"), min_value=1, initial=10
    )
    backoff_base_seconds = forms.IntegerField(
        label=_("First retry after (seconds)"), min_value=1, initial=30
    )
    backoff_cap_seconds = forms.IntegerField(
        label=_("Longest wait (seconds)"), min_value=1, initial=6 * 3600
    )
    timeout_seconds = forms.IntegerField(label=_("Timeout (seconds)"), min_value=1, initial=30)

    def clean_columns(self):
        text = (self.cleaned_data.get("columns") or "").strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not JSON: %(e)s") % {"e": exc}) from exc

    @classmethod
    def of(cls, connector) -> "ConnectorForm":
        initial = {
            f: getattr(connector, f) for f in cls.base_fields if f not in ("token", "secret")
        }
        initial["columns"] = (
            json.dumps(connector.columns, ensure_ascii=False, indent=1) if connector.columns else ""
        )
        return cls(initial=initial)
