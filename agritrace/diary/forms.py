"""Forms of the diary pages. They render and pick choices; the rules live in diary.services,
whose ValidationErrors are put back beside their fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.models import Organisation
from agritrace.formats.fields import DateField, DateInput

from .models import EntryKind, Fertiliser, Pesticide, RegistrationStatus, Unit

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

#: Short unit labels for a phone screen, in the order a farmer reaches for them.
UNIT_CHOICES = [
    ("", "—"),
    (Unit.LTR, "l"),
    (Unit.MLT, "ml"),
    (Unit.KGM, "kg"),
    (Unit.GRM, "g"),
    (Unit.TNE, _("tonnes")),
    (Unit.MTQ, "m³"),
    (Unit.H87, _("pieces (trees, fruits, bags)")),
    (Unit.HAR, "ha"),
]


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the named fields (others above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    aliases = {"pesticide": "product", "fertiliser": "product", "plot": "ground", "area": "ground"}
    for field, messages in exc.message_dict.items():
        name = aliases.get(field, field)
        form.add_error(name if name in form.fields else None, messages)


class EntryForm(forms.Form):
    """The quick entry form: one big button per kind, today's date, the plot, the product,
    the quantity. `plots` and `areas` are what the actor may record for."""

    kind = forms.ChoiceField(
        label=_("What was done?"),
        choices=EntryKind.choices,
        widget=forms.RadioSelect(attrs={"class": "kind-choice"}),
    )
    date = DateField(
        label=_("Date"),
        widget=DateInput(),
    )
    ground = forms.ChoiceField(label=_("Plot"))
    product = forms.ChoiceField(label=_("Product"), required=False)
    other_product = forms.CharField(
        label=_("Or type the product's name"),
        required=False,
        max_length=150,
        help_text=_("Only when it is not in the list"),
    )
    quantity = forms.CharField(
        label=_("Quantity"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES, required=False)
    spray_volume_l = forms.CharField(
        label=_("Spray water (litres)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(label=_("Why is it changed?"), required=False, max_length=300)

    def __init__(self, *args, plots=(), areas=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        grounds = [
            (f"plot:{p.pk}", f"{p.household.name} · {p.label}" + (f" ({p.area})" if p.area else ""))
            for p in plots
        ]
        area_choices = [(f"area:{a.pk}", _("Whole area: %(a)s") % {"a": a}) for a in areas]
        choices = [("", "—")]
        if area_choices:
            choices += [(_("Plots"), grounds), (_("Whole planting areas"), area_choices)]
        else:
            choices += grounds
        self.fields["ground"].choices = choices
        if len(grounds) + len(area_choices) == 1:
            self.fields["ground"].initial = (grounds or area_choices)[0][0]
        self.fields["product"].choices = product_choices()
        self.fields["date"].initial = timezone.localdate()
        if not editing:
            del self.fields["reason"]

    def service_data(self) -> dict:
        data = self.cleaned_data
        ground = data.get("ground") or ""
        kind_of_ground, _sep, ground_id = ground.partition(":")
        product = data.get("product") or ""
        product_kind, _sep, product_id = product.partition(":")
        out = {
            "kind": data.get("kind"),
            "date": data.get("date"),
            "plot": ground_id if kind_of_ground == "plot" else None,
            "area": ground_id if kind_of_ground == "area" else None,
            "pesticide": product_id if product_kind == "p" else None,
            "fertiliser": product_id if product_kind == "f" else None,
            "other_product": data.get("other_product", ""),
            "quantity": data.get("quantity") or None,
            "unit": data.get("unit", ""),
            "spray_volume_l": data.get("spray_volume_l") or None,
            "notes": data.get("notes", ""),
        }
        if "reason" in self.fields:
            out["reason"] = data.get("reason", "")
        return out


def product_choices() -> list:
    """Pesticides and fertilisers as option groups; values p:ID and f:ID."""
    pesticides = [
        (f"p:{p.pk}", f"{p.trade_name}" + ("" if p.status == "registered" else " ⚠"))
        for p in Pesticide.objects.only("pk", "trade_name", "status")
    ]
    fertilisers = [(f"f:{f.pk}", f.name) for f in Fertiliser.objects.only("pk", "name")]
    return [
        ("", "—"),
        (_("Plant-protection products"), pesticides),
        (_("Fertilisers"), fertilisers),
    ]


def product_units() -> dict[str, str]:
    """The unit to preselect for each product (its form decides: liquids in litres)."""
    units = {}
    for p in Pesticide.objects.only("pk", "form"):
        units[f"p:{p.pk}"] = Unit.LTR if p.measured_by == "volume" else Unit.KGM
    for f in Fertiliser.objects.only("pk", "form"):
        units[f"f:{f.pk}"] = Unit.LTR if f.measured_by == "volume" else Unit.KGM
    return units


def entry_initial(entry) -> dict:
    return {
        "kind": entry.kind,
        "date": entry.date,
        "ground": f"plot:{entry.plot_id}" if entry.plot_id else f"area:{entry.area_id}",
        "product": f"p:{entry.pesticide_id}"
        if entry.pesticide_id
        else (f"f:{entry.fertiliser_id}" if entry.fertiliser_id else ""),
        "other_product": entry.other_product,
        "quantity": "" if entry.quantity is None else f"{entry.quantity.normalize():f}",
        "unit": entry.unit,
        "spray_volume_l": ""
        if entry.spray_volume_l is None
        else f"{entry.spray_volume_l.normalize():f}",
        "notes": entry.notes,
    }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        return upload


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done about it?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PesticideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Registration status in Vietnam"), choices=RegistrationStatus.choices
    )
    registration_number = forms.CharField(
        label=_("Registration number"), required=False, max_length=60
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        required=False,
        help_text=_("The decision or list this comes from, with its number"),
    )
    source_date = DateField(
        label=_("Source date"),
        required=False,
        widget=DateInput(),
    )
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=300)


class PlanRowForm(forms.Form):
    buyer = forms.CharField(label=_("Buyer"), max_length=200, required=False)
    buyer_org = forms.ModelChoiceField(
        label=_("Registered exporter or packing house"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    tonnes = forms.CharField(
        label=_("Tonnes"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )

    def __init__(self, *args, buyers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if buyers is not None:
            self.fields["buyer_org"].queryset = buyers

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(k) for k in ("buyer", "buyer_org", "tonnes", "month"))


PlanFormSet = forms.formset_factory(PlanRowForm, extra=3, max_num=60)
