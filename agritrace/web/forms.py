"""Forms of the code pages. They only parse and present: the rules live in the registry
services and lifecycle, and their ValidationErrors come back beside the fields through
`add_service_errors`."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.accounts.names import display_name
from agritrace.formats.fields import DateField, DateInput
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.registry.lifecycle import INSPECTION_CHECKLIST
from agritrace.registry.models import (
    Application,
    Certificate,
    CodeHolder,
    Crop,
    Market,
    PackingHouse,
    PlantingArea,
    Variety,
)

# ------------------------------------------------------------------ helpers


def service_errors(exc: ValidationError) -> dict[str | None, list[str]]:
    """A service's ValidationError as {field or None: [messages]}."""
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {None: [str(m) for m in exc.messages]}


def add_service_errors(
    form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None
) -> None:
    """Put each message of a service's ValidationError beside its field; messages about
    fields the form does not show go on top of the form."""
    field_map = field_map or {}
    for field, messages in service_errors(exc).items():
        name = field_map.get(field or "", field)
        if name not in form.fields or form.fields[name].widget.is_hidden:
            name = None
        for message in messages:
            form.add_error(name, message)


def communes_for(actor: Actor):
    """The communes an actor may place records in: its province's (all of them for the
    ministry)."""
    qs = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.COMMUNE)
    if actor.province_id is not None:
        qs = qs.filter(parent_id=actor.province_id)
    return qs.order_by("name")


class VarietySelect(forms.Select):
    """Marks each variety with its crop so the page can offer only the chosen crop's."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-crop"] = instance.crop_id
        return option


class VarietyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Variety) -> str:
        return f"{obj.crop}: {obj.name}"


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AdminUnit) -> str:
        return obj.name


def _required(widget: forms.Widget) -> forms.Widget:
    """Mark a field required for the browser only: the service says why when it is empty."""
    widget.attrs["required"] = True
    return widget


# ------------------------------------------------------------------ planting areas


class AreaForm(forms.Form):
    """Create or edit a planting area. The service checks the values (name, area > 0, the
    variety belongs to the crop, the commune is in scope); the form only offers choices."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    representative = forms.ModelChoiceField(
        label=gettext_lazy("Representative"), queryset=Organisation.objects.none(), required=False
    )
    crop = forms.ModelChoiceField(
        label=gettext_lazy("Crop"), queryset=Crop.objects.all(), required=False
    )
    variety = VarietyChoiceField(
        label=gettext_lazy("Variety"),
        queryset=Variety.objects.select_related("crop"),
        required=False,
        widget=VarietySelect,
    )
    commune = CommuneChoiceField(
        label=gettext_lazy("Commune / ward"), queryset=AdminUnit.objects.none(), required=False
    )
    village = forms.CharField(label=gettext_lazy("Village"), max_length=120, required=False)
    declared_area_ha = forms.DecimalField(
        label=gettext_lazy("Declared area (ha)"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    expected_yield_t = forms.DecimalField(
        label=gettext_lazy("Expected yield (tonnes per season)"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    harvests_per_year = forms.IntegerField(
        label=gettext_lazy("Harvests per year"), required=False, initial=1
    )
    markets = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Target markets"),
        queryset=Market.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, actor: Actor, area: PlantingArea | None = None, **kwargs):
        if area is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": area.name,
                "representative": area.representative_id,
                "crop": area.crop_id,
                "variety": area.variety_id,
                "commune": area.commune_id,
                "village": area.village,
                "declared_area_ha": area.declared_area_ha,
                "expected_yield_t": area.expected_yield_t,
                "harvests_per_year": area.harvests_per_year,
                "markets": list(area.markets.values_list("pk", flat=True)),
            }
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.area = area
        for name in ("name", "crop", "declared_area_ha"):
            _required(self.fields[name].widget)
        if actor.kind == OrgKind.REPRESENTATIVE:
            # A representative always acts for itself.
            del self.fields["representative"]
        else:
            self.fields["representative"].queryset = visible(
                actor, Organisation.objects.filter(kind=OrgKind.REPRESENTATIVE)
            )
            _required(self.fields["representative"].widget)
        if area is not None:
            # The commune of an area is part of what was appraised: it is not edited here.
            del self.fields["commune"]
        else:
            self.fields["commune"].queryset = communes_for(actor)
            _required(self.fields["commune"].widget)

    def service_data(self) -> dict:
        """The cleaned values in the shape the registry services take (ids, not objects)."""
        data = self.cleaned_data
        out = {
            "name": data.get("name", ""),
            "crop": data["crop"].pk if data.get("crop") else None,
            "variety": data["variety"].pk if data.get("variety") else None,
            "village": data.get("village", ""),
            "declared_area_ha": data.get("declared_area_ha"),
            "expected_yield_t": data.get("expected_yield_t") or 0,
            "harvests_per_year": data.get("harvests_per_year") or 1,
            "markets": [m.pk for m in data.get("markets") or []],
        }
        if "commune" in self.fields:
            out["commune"] = data["commune"].pk if data.get("commune") else None
        if "representative" in self.fields:
            rep = data.get("representative")
            out["representative"] = rep.pk if rep else None
        return out


# ------------------------------------------------------------------ packing houses


class PackingHouseForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    operator = forms.ModelChoiceField(
        label=gettext_lazy("Operator"), queryset=Organisation.objects.none(), required=False
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    commune = CommuneChoiceField(
        label=gettext_lazy("Commune / ward"), queryset=AdminUnit.objects.none(), required=False
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=gettext_lazy("Click the map to set the location, or type it."),
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    capacity_t_per_day = forms.DecimalField(
        label=gettext_lazy("Capacity (tonnes per day)"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    crops = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Crops"),
        queryset=Crop.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    markets = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Markets"),
        queryset=Market.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        for name in ("name", "address", "commune", "capacity_t_per_day"):
            _required(self.fields[name].widget)
        self.fields["commune"].queryset = communes_for(actor)
        if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
            del self.fields["operator"]  # the operator is the actor itself
        else:
            self.fields["operator"].queryset = visible(
                actor,
                Organisation.objects.filter(kind__in=[OrgKind.PACKING_HOUSE, OrgKind.EXPORTER]),
            )
            _required(self.fields["operator"].widget)

    def service_data(self) -> dict:
        data = self.cleaned_data
        out = {
            "name": data.get("name", ""),
            "address": data.get("address", ""),
            "commune": data["commune"].pk if data.get("commune") else None,
            "lon": data.get("lon"),
            "lat": data.get("lat"),
            "capacity_t_per_day": data.get("capacity_t_per_day"),
            "crops": [c.pk for c in data.get("crops") or []],
            "markets": [m.pk for m in data.get("markets") or []],
        }
        if "operator" in self.fields:
            out["operator"] = data["operator"].pk if data.get("operator") else None
        return out


# ------------------------------------------------------------------ codes after issuance


class CodeActionForm(forms.Form):
    """Suspend, reinstate or revoke an issued code."""

    ACTIONS = [
        ("suspend", gettext_lazy("Suspend")),
        ("reinstate", gettext_lazy("Reinstate")),
        ("revoke", gettext_lazy("Revoke")),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    until = DateField(
        label=gettext_lazy("Suspended until (optional)"),
        required=False,
        widget=DateInput(),
    )
    effective_date = DateField(
        label=gettext_lazy("Effective from (optional, for a decision taken earlier)"),
        required=False,
        widget=DateInput(),
    )


class MarketApprovalForm(forms.Form):
    MOVES = [
        ("submit", gettext_lazy("Submit to the Plant Protection Department")),
        ("send", gettext_lazy("Sent to the importing country")),
        ("approve", gettext_lazy("Approved by the importing country")),
        ("refuse", gettext_lazy("Refused by the importing country")),
        ("withdraw", gettext_lazy("Withdraw")),
    ]
    market = forms.ModelChoiceField(queryset=Market.objects.all())
    move = forms.ChoiceField(choices=MOVES)
    importer_list_ref = forms.CharField(
        label=gettext_lazy("Importer's list reference"), max_length=120, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False)


class AuthoriseForm(forms.Form):
    """A representative lets an exporter or packing house use its area code."""

    grantee = forms.ModelChoiceField(
        label=gettext_lazy("Exporter or packing house"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    market = forms.ModelChoiceField(
        label=gettext_lazy("Market"), queryset=Market.objects.none(), required=False
    )
    valid_from = DateField(
        label=gettext_lazy("Valid from"),
        required=False,
        widget=DateInput(),
    )
    valid_to = DateField(
        label=gettext_lazy("Valid to"),
        required=False,
        widget=DateInput(),
    )

    def __init__(self, *args, area: PlantingArea, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        # The scope rules let a representative see every exporter and packing house, so it
        # can name one it has not dealt with yet. (The service checks the kind again.)
        self.fields["grantee"].queryset = visible(
            actor, Organisation.objects.filter(kind__in=[OrgKind.EXPORTER, OrgKind.PACKING_HOUSE])
        ).order_by("name")
        self.fields["market"].queryset = area.markets.all()
        for name in self.fields:
            _required(self.fields[name].widget)


class WithdrawAuthorisationForm(forms.Form):
    authorisation = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason for withdrawal"), required=False)
    withdrawn_from = DateField(
        label=gettext_lazy("Effective from"),
        required=False,
        widget=DateInput(),
    )


# ------------------------------------------------------------------ certificates and contracts


class CertificateForm(forms.Form):
    """Add (no `certificate`) or edit a certificate of a planting area. The service checks the
    number, the dates and duplicates; the form only parses."""

    certificate = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=[("", "—"), *Certificate.KINDS], required=False
    )
    number = forms.CharField(label=gettext_lazy("Number"), max_length=60, required=False)
    issuer = forms.CharField(
        label=gettext_lazy("Issuer"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("The certification body"),
    )
    valid_from = DateField(
        label=gettext_lazy("Valid from"),
        required=False,
        widget=DateInput(),
    )
    valid_to = DateField(
        label=gettext_lazy("Valid to"),
        required=False,
        widget=DateInput(),
    )

    def __init__(self, *args, instance: Certificate | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "certificate": instance.pk,
                "kind": instance.kind,
                "number": instance.number,
                "issuer": instance.issuer,
                "valid_from": instance.valid_from,
                "valid_to": instance.valid_to,
            }
        kwargs.setdefault("auto_id", "id_cert_%s")
        super().__init__(*args, **kwargs)
        self.instance = instance
        for name in ("kind", "number", "valid_from", "valid_to"):
            _required(self.fields[name].widget)

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or None,
            "number": data.get("number", ""),
            "issuer": data.get("issuer", ""),
            "valid_from": data.get("valid_from"),
            "valid_to": data.get("valid_to"),
        }


class RemoveCertificateForm(forms.Form):
    certificate = forms.IntegerField(widget=forms.HiddenInput)


class SupplyContractForm(forms.Form):
    """A packing house's contract with a planting area, named by its (issued) code."""

    area_code = forms.CharField(
        label=gettext_lazy("Planting area code"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("For example VN-DLOR-0001. The area's code must be issued."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    valid_from = DateField(
        label=gettext_lazy("Valid from"),
        required=False,
        widget=DateInput(),
    )
    valid_to = DateField(
        label=gettext_lazy("Valid to"),
        required=False,
        widget=DateInput(),
    )
    reference = forms.CharField(
        label=gettext_lazy("Contract reference"), max_length=60, required=False
    )

    #: service error keys → form fields
    FIELD_MAP = {"area": "area_code"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_contract_%s")
        super().__init__(*args, **kwargs)
        for name in ("area_code", "valid_from", "valid_to"):
            _required(self.fields[name].widget)


class EndContractForm(forms.Form):
    contract = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


# ------------------------------------------------------------------ applications


class ActionForm(forms.Form):
    """One lifecycle move of an application; which fields show depends on the action."""

    action = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    scheduled_for = DateField(
        label=gettext_lazy("Inspection date"),
        required=False,
        widget=DateInput(),
    )
    inspector = forms.ModelChoiceField(
        label=gettext_lazy("Inspector"), queryset=get_user_model().objects.none(), required=False
    )

    #: action → fields shown besides the hidden action
    FIELDS = {
        "return": ("reason",),
        "reject": ("reason",),
        "withdraw": ("reason",),
        "schedule_inspection": ("scheduled_for", "inspector"),
    }

    def __init__(self, *args, action: str, app: Application, actor: Actor, **kwargs):
        kwargs.setdefault("initial", {})["action"] = action
        # Several of these forms share a page: keep the names plain, make the ids unique.
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        shown = self.FIELDS.get(action, ())
        for name in list(self.fields):
            if name != "action" and name not in shown:
                del self.fields[name]
        if action in ("return", "reject"):
            _required(self.fields["reason"].widget)
        if "scheduled_for" in self.fields:
            _required(self.fields["scheduled_for"].widget)
            self.fields["scheduled_for"].widget.attrs["min"] = timezone.localdate().isoformat()
            self.fields["inspector"].queryset = inspectors_for(actor, app.subject)
            self.fields["inspector"].label_from_instance = _inspector_label

    def transition_kwargs(self) -> dict:
        data = self.cleaned_data
        if self.action == "schedule_inspection":
            return {"scheduled_for": data.get("scheduled_for"), "inspector": data.get("inspector")}
        return {"reason": data.get("reason", "")}


def inspectors_for(actor: Actor, holder: CodeHolder):
    """The people who inspect (`accounts.inspectors`) in the province where the holder
    lies, of the authorities the actor sees."""
    from agritrace.accounts.inspectors import inspectors

    orgs = visible(actor, Organisation.objects.filter(unit=holder.province))
    return inspectors(holder.province.pk).filter(membership__organisation__in=orgs)


def _inspector_label(user) -> str:
    name = display_name(user)
    return f"{name} ({user.membership.organisation.name})"


CHECK_CHOICES = [
    ("pass", gettext_lazy("Pass")),
    ("fail", gettext_lazy("Fail")),
    ("na", gettext_lazy("Not applicable")),
]


class InspectionForm(forms.Form):
    """The field inspection's checklist, one pass/fail/n.a. question per point."""

    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        checks = {}
        for key, label in INSPECTION_CHECKLIST:
            checks[f"check_{key}"] = forms.ChoiceField(
                label=label, choices=CHECK_CHOICES, required=False, widget=forms.RadioSelect
            )
        # The checklist comes first, then notes and the position.
        self.fields = {**checks, **self.fields}

    def checklist_fields(self):
        return [self[f"check_{key}"] for key, _label in INSPECTION_CHECKLIST]

    def transition_kwargs(self) -> dict:
        data = self.cleaned_data
        checklist = {
            key: data[f"check_{key}"]
            for key, _label in INSPECTION_CHECKLIST
            if data.get(f"check_{key}")
        }
        return {
            "checklist": checklist,
            "notes": data.get("notes", ""),
            "lon": data.get("lon"),
            "lat": data.get("lat"),
        }

    #: service error keys → form fields
    FIELD_MAP = {f"checklist.{key}": f"check_{key}" for key, _label in INSPECTION_CHECKLIST}


# ------------------------------------------------------------------ documents

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

#: extension → test of the file's first bytes, so that a renamed file is refused too
DOCUMENT_TYPES = {
    "pdf": lambda head: head.startswith(b"%PDF-"),
    "jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "kml": lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"),
    "geojson": lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"),
}


class DocumentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, JPG, PNG, KML or GeoJSON, at most 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,.kml,.geojson,application/pdf,image/*"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        check = DOCUMENT_TYPES.get(extension)
        if check is None:
            raise ValidationError(_("Only PDF, JPG, PNG, KML or GeoJSON files are accepted."))
        if upload.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                _("The file is %(mb).1f MB; the limit is 10 MB.")
                % {"mb": upload.size / 1024 / 1024}
            )
        upload.seek(0)
        head = upload.read(64)
        upload.seek(0)
        if not check(head):
            raise ValidationError(
                _("The file's content is not %(kind)s.") % {"kind": extension.upper()}
            )
        return upload


# ------------------------------------------------------------------ list filters


class AreaFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search name or code"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Code status"), required=False)
    crop = forms.ModelChoiceField(
        label=gettext_lazy("Crop"),
        queryset=Crop.objects.all(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    commune = CommuneChoiceField(
        label=gettext_lazy("Commune / ward"),
        queryset=AdminUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    market = forms.ModelChoiceField(
        label=gettext_lazy("Market"),
        queryset=Market.objects.all(),
        required=False,
        empty_label=gettext_lazy("All"),
    )

    def __init__(self, *args, holders, **kwargs):
        from agritrace.registry.models import CodeStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *CodeStatus.choices]
        # Only communes where the actor can see something.
        self.fields["commune"].queryset = AdminUnit.objects.filter(
            pk__in=holders.values("commune")
        ).order_by("name")

    def filter(self, qs):
        self.is_valid()  # a bad value drops that filter only; the others still apply
        data = self.cleaned_data
        if data.get("q"):
            from django.db.models import Q

            qs = qs.filter(Q(name__icontains=data["q"]) | Q(code__icontains=data["q"]))
        if data.get("status"):
            qs = qs.filter(code_status=data["status"])
        if data.get("crop"):
            crop_field = "crop" if qs.model is PlantingArea else "crops"
            qs = qs.filter(**{crop_field: data["crop"]})
        if data.get("commune"):
            qs = qs.filter(commune=data["commune"])
        if data.get("market"):
            qs = qs.filter(markets=data["market"])
        return qs.distinct() if qs.model is PackingHouse else qs


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        from agritrace.registry.models import AppStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All")),
            ("open", _("All open")),
            *AppStatus.choices,
        ]
        self.fields["kind"].choices = [("", _("All")), *Application.KIND_CHOICES]

    def filter(self, qs):
        from agritrace.registry.models import AppStatus

        self.is_valid()  # a bad value drops that filter only; the others still apply
        data = self.cleaned_data
        closed = [AppStatus.ISSUED, AppStatus.REJECTED, AppStatus.WITHDRAWN]
        if data.get("status") == "open":
            qs = qs.exclude(status__in=closed)
        elif data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("overdue"):
            qs = qs.exclude(status__in=closed).filter(deadline__lt=timezone.localdate())
        return qs
