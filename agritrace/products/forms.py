"""The forms of the products pages: registering a processing facility, recording a
processing step (up to three input lots)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agritrace.trace.builders import UNITS

INPUT_ROWS = 3


class FacilityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300)
    commune = forms.ChoiceField(label=_("Commune"))
    capacity_t_per_day = forms.DecimalField(label=_("Capacity (tonnes/day)"), min_value=0)
    operator = forms.ChoiceField(label=_("Operator"), required=False)
    code = forms.CharField(
        label=_("Facility code"),
        required=False,
        max_length=40,
        help_text=_("The code the province issued, where it issues one (its format is not fixed)"),
    )
    products = forms.MultipleChoiceField(label=_("Products made"), required=False)

    def __init__(self, *args, communes=(), operators=None, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [(c.pk, c.name) for c in communes]
        self.fields["products"].choices = [(p.code, str(p)) for p in products]
        if operators is None:  # a processor registers its own facility, without a code
            del self.fields["operator"]
            del self.fields["code"]
        else:
            self.fields["operator"].choices = [(o.pk, o.name) for o in operators]


class ProcessingForm(forms.Form):
    facility = forms.ChoiceField(label=_("Processing facility"))
    product = forms.ChoiceField(label=_("Product made"))
    output_quantity = forms.DecimalField(label=_("Quantity made"), min_value=0)
    output_unit = forms.ChoiceField(label=_("Unit"), choices=UNITS[:2], initial="KGM")
    output_lot = forms.CharField(
        label=_("Output lot code"),
        required=False,
        max_length=60,
        help_text=_("Empty: the next free code"),
    )

    def __init__(self, *args, facilities=(), products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [
            (f.pk, f"{f.name} ({f.code or f.identifier})") for f in facilities
        ]
        self.fields["product"].choices = [(p.code, str(p)) for p in products]
        for i in range(INPUT_ROWS):
            self.fields[f"inputs[{i}].lot"] = forms.CharField(
                label=_("Input lot"), required=i == 0, max_length=255
            )
            self.fields[f"inputs[{i}].quantity"] = forms.DecimalField(
                label=_("Quantity"), required=i == 0, min_value=0
            )
            self.fields[f"inputs[{i}].unit"] = forms.ChoiceField(
                label=_("Unit"), choices=UNITS[:2], initial="KGM"
            )

    def input_rows(self) -> list[list]:
        return [
            [self[f"inputs[{i}].lot"], self[f"inputs[{i}].quantity"], self[f"inputs[{i}].unit"]]
            for i in range(INPUT_ROWS)
        ]

    def data_for_service(self) -> dict:
        c = self.cleaned_data
        inputs = [
            {
                "lot": c[f"inputs[{i}].lot"],
                "quantity": c[f"inputs[{i}].quantity"],
                "unit": c[f"inputs[{i}].unit"],
            }
            for i in range(INPUT_ROWS)
            if c.get(f"inputs[{i}].lot")
        ]
        return {
            "facility": c["facility"],
            "product": c["product"],
            "inputs": inputs,
            "output_quantity": c["output_quantity"],
            "output_unit": c["output_unit"],
            "output_lot": c["output_lot"],
        }
