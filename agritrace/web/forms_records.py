"""Forms of the records pages (households, plots, inbox, tokens, public code list).

The forms render fields and check choices; the rules (a valid national ID, a valid boundary,
who may do what) live in the registry services, whose ValidationErrors are put back beside
their fields with `add_service_errors`.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.places.models import AdminUnit
from agritrace.registry.models import CodeStatus, Crop, Household, Market

#: The largest boundary file accepted for upload (a plot is a few hundred positions).
MAX_GEOJSON_BYTES = 2 * 1024 * 1024


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the named fields (others above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class HouseholdForm(forms.Form):
    """A member household. `communes` and `representatives` are what the actor may choose;
    on edit both are left out (a household does not move between representatives here)."""

    name = forms.CharField(
        label=_("Head of household"),
        max_length=150,
        required=False,  # the service says why it is needed
        widget=forms.TextInput(attrs={"autocomplete": "name", "required": True}),
    )
    national_id = forms.CharField(
        label=_("National ID number"),
        max_length=20,
        required=False,
        help_text=_("12 digits (9 on old cards). Never shown on public lists."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        help_text=_("For example 0912345678"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    commune = forms.ModelChoiceField(
        label=_("Commune / ward"), queryset=AdminUnit.objects.none(), required=False
    )
    representative = forms.ModelChoiceField(
        label=_("Area representative"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("The cooperative or enterprise the household farms with"),
    )

    def __init__(
        self,
        *args,
        communes: QuerySet | None = None,
        representatives: QuerySet | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if communes is None:
            del self.fields["commune"]
        else:
            self.fields["commune"].queryset = communes
            self.fields["commune"].empty_label = _("Choose a commune or ward")
        if representatives is None:
            del self.fields["representative"]
        else:
            self.fields["representative"].queryset = representatives
            self.fields["representative"].empty_label = _("Choose a representative")

    def service_data(self) -> dict:
        """The cleaned values in the form the registry services take (ids, strings)."""
        data = {k: self.cleaned_data.get(k) or "" for k in ("name", "national_id", "phone")}
        data["address"] = self.cleaned_data.get("address") or ""
        if "commune" in self.fields:
            commune = self.cleaned_data.get("commune")
            data["commune"] = commune.pk if commune else None
        if "representative" in self.fields:
            rep = self.cleaned_data.get("representative")
            data["representative"] = rep.pk if rep else None
        return data


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Household) -> str:
        return f"{obj.name} — {obj.commune.name}" if obj.commune_id else obj.name


class PlotForm(forms.Form):
    """A plot: its household, label, crop, planting year and boundary (drawn or uploaded)."""

    household = HouseholdChoiceField(
        label=_("Household"), queryset=Household.objects.none(), required=False
    )
    label = forms.CharField(
        label=_("Plot label"),
        max_length=60,
        required=False,
        help_text=_("The plot's number or name on the map, e.g. T12"),
        widget=forms.TextInput(attrs={"required": True}),
    )
    crop = forms.ModelChoiceField(
        label=_("Crop"),
        queryset=Crop.objects.all(),
        required=False,
        help_text=_("Left empty, the planting area's crop"),
    )
    planting_year = forms.CharField(
        label=_("Planting year"),
        max_length=4,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1900, "step": 1}),
    )
    geometry = forms.CharField(
        label=_("Boundary (GeoJSON)"),
        required=False,
        help_text=_(
            "Draw the plot on the map, or paste a GeoJSON Polygon in longitude, latitude (WGS 84)."
        ),
        widget=forms.Textarea(attrs={"class": "geojson", "rows": 5, "spellcheck": "false"}),
    )
    geometry_file = forms.FileField(
        label=_("Or upload a .geojson file"),
        required=False,
        help_text=_("A file with one Polygon, e.g. exported from QGIS or a GPS app"),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )

    def __init__(self, *args, households: QuerySet | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = (
            households if households is not None else Household.objects.none()
        ).select_related("commune")
        self.fields["household"].empty_label = _("Choose a household")
        self.fields["crop"].empty_label = _("The area's crop")

    def clean_geometry_file(self):
        upload = self.cleaned_data.get("geometry_file")
        if not upload:
            return None
        name = (upload.name or "").lower()
        if not name.endswith((".geojson", ".json")):
            raise ValidationError(_("Upload a .geojson (or .json) file."))
        if upload.size > MAX_GEOJSON_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)d MB; a plot boundary is much smaller.")
                % {"limit": MAX_GEOJSON_BYTES // (1024 * 1024)}
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text; save it as GeoJSON.")) from None

    def service_data(self) -> dict:
        """Values for registry.services.save_plot; an uploaded file wins over the textarea."""
        household = self.cleaned_data.get("household")
        crop = self.cleaned_data.get("crop")
        geometry = self.cleaned_data.get("geometry_file") or self.cleaned_data.get("geometry")
        return {
            "household": household.pk if household else None,
            "label": self.cleaned_data.get("label") or "",
            "crop": crop.pk if crop else None,
            "planting_year": self.cleaned_data.get("planting_year") or None,
            "geometry": geometry or "",
        }


class AreaHouseholdsForm(forms.Form):
    households = forms.ModelMultipleChoiceField(
        label=_("Member households"),
        queryset=Household.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    confirm = forms.BooleanField(
        label=_("I confirm this change of an issued code: it goes to the authority for review"),
        required=False,
    )

    def __init__(self, *args, households: QuerySet | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["households"].queryset = (
            households if households is not None else Household.objects.none()
        )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the machine is, e.g. “packing line scanner 2”"),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the token a name."))
        return name


KIND_CHOICES = [
    ("", _("All kinds")),
    ("area", _("Planting area")),
    ("packing_house", _("Packing house")),
]


class PublicCodeFilterForm(forms.Form):
    """Filters of the public code list; an invalid value is dropped (and said so)."""

    q = forms.CharField(label=_("Code or name"), max_length=100, required=False)
    province = forms.TypedChoiceField(label=_("Province"), required=False, coerce=int)
    crop = forms.ChoiceField(label=_("Crop"), required=False)
    market = forms.ChoiceField(label=_("Market"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=KIND_CHOICES)

    def __init__(self, *args, **kwargs) -> None:
        from agritrace.places.services import provinces

        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("All provinces"))] + [
            (p.pk, p.name) for p in provinces()
        ]
        self.fields["crop"].choices = [("", _("All crops"))] + [
            (c.code, str(c)) for c in Crop.objects.all()
        ]
        self.fields["market"].choices = [("", _("All markets"))] + [
            (m.code, f"{m.code} — {m}") for m in Market.objects.all()
        ]
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (s.value, s.label) for s in CodeStatus if s != CodeStatus.NONE
        ]

    def filters(self) -> dict:
        """The valid, non-empty filters, for registry.services.public_code_list."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {k: v for k, v in cleaned.items() if v not in (None, "")}


class HouseholdOrganisationForm(forms.Form):
    """Give a household its own login organisation: an existing one (authorities) or a new
    one (left empty)."""

    organisation = forms.ModelChoiceField(
        label=_("Existing household organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Make a new one for this household"),
    )

    def __init__(self, *args, choices: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = choices
