"""The forest baseline import form of the EUDR page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agritrace.formats.fields import DateField

#: A province's forest layer as GeoJSON: at most this many bytes from the page.
MAX_BYTES = 20 * 1024 * 1024


class BaselineForm(forms.Form):
    name = forms.CharField(label=_("Name of the layer"), max_length=200)
    source = forms.CharField(label=_("Source"), max_length=500)
    source_date = DateField(label=_("Date of the layer"))
    file = forms.FileField(label=_("GeoJSON file"))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return file
