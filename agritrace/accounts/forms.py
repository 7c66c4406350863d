"""Forms of the organisation pages: fields only; the rules are in organisations.py,
invitations.py and org_import.py (their errors are put back beside the fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OrgKind, Role


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    province = forms.ModelChoiceField(label=_("Province"), queryset=None)
    commune = forms.CharField(
        label=_("Commune or ward"),
        required=False,
        help_text=_("Its name or official code; leave empty for an authority"),
    )
    tax_code = forms.CharField(label=_("Tax code"), max_length=20, required=False)
    gln = forms.CharField(
        label=_("GLN"), max_length=13, required=False, help_text=_("13 digits, if it has one")
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    #: the service's field names -> this form's
    FIELD_MAP = {
        "commune_code": "commune",
        "commune_name": "commune",
        "province_name": "province",
    }

    def __init__(self, *args, kinds: list[str], provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, OrgKind(k).label) for k in kinds]
        self.fields["province"].queryset = provinces

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        province = data.pop("province")
        commune = data.pop("commune").strip()
        data["province_name"] = province.code
        if commune.isdigit():
            data["commune_code"] = commune
        else:
            data["commune_name"] = commune
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (XLSX)"))
    apply = forms.BooleanField(
        label=_("Apply the changes"),
        required=False,
        help_text=_("Leave unticked for a dry run: the report shows what would change"),
    )
