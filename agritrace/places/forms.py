"""The abbreviation form: fields only; the rules are in places.abbreviations."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agritrace.formats.fields import DateField, DateInput


class AbbreviationForm(forms.Form):
    province = forms.ModelChoiceField(queryset=None, label=_("Province"))
    abbreviation = forms.CharField(
        label=_("Abbreviation"),
        max_length=4,
        help_text=_("Two or three letters, as on the codes (VN-DTOR-0017: DT)"),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("The decision or document it comes from, or the codes it was seen on"),
    )
    source_date = DateField(label=_("Source date"), required=False, widget=DateInput())

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces
