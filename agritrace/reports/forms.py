"""The reports pages' forms. They only parse; the rules (a unit outside the province, a
period in the future, a class held on a day to come) are the services', shown beside the
field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agritrace.formats.fields import DateField, DateInput

from .groups import group_codes, group_label
from .models import Metric, ReportKind, TargetKind, Topic


def crop_choices() -> list[tuple[str, str]]:
    from agritrace.registry.models import Crop

    groups = [(code, group_label(code)) for code in group_codes()]
    crops = [(c.code, str(c)) for c in Crop.objects.order_by("code")]
    return [("", _("Every crop")), (_("Groups"), groups), (_("Crops"), crops)]


class TargetForm(forms.Form):
    unit_id = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    crop = forms.ChoiceField(label=_("Crop"), required=False)
    year = forms.IntegerField(label=_("Year"))
    metric = forms.ChoiceField(label=_("Figure"), choices=Metric.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=TargetKind.choices)
    cumulative = forms.BooleanField(
        label=_("By the end of the year (what holds a code then)"), required=False
    )
    value = forms.CharField(label=_("Value"))
    source = forms.CharField(label=_("Source"), help_text=_("The plan the figure comes from"))
    source_date = DateField(label=_("Source date"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_id"].choices = [("", _("The whole province"))] + [
            (u.pk, f"{u.name} ({u.get_level_display().lower()}, {u.tree})") for u in units
        ]
        self.fields["crop"].choices = crop_choices()


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (XLSX or CSV)"))
    apply = forms.BooleanField(label=_("Apply (otherwise a dry run)"), required=False)


class ClassForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    title = forms.CharField(label=_("Title"))
    place = forms.CharField(label=_("Place"))
    planned_on = DateField(label=_("Planned for"), widget=DateInput())
    trainer = forms.CharField(label=_("Trainer"))
    commune_id = forms.TypedChoiceField(
        label=_("Commune"), required=False, coerce=int, empty_value=None
    )
    crop = forms.ChoiceField(label=_("Crop"), required=False)
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune_id"].choices = [("", "—")] + [(c.pk, c.name) for c in communes]
        from agritrace.registry.models import Crop

        self.fields["crop"].choices = [("", "—")] + [
            (c.code, str(c)) for c in Crop.objects.order_by("code")
        ]


class HeldForm(forms.Form):
    held_on = DateField(label=_("Held on"), widget=DateInput())
    households = forms.TypedMultipleChoiceField(
        label=_("Households who attended"), required=False, coerce=int
    )
    organisations = forms.TypedMultipleChoiceField(
        label=_("Cooperatives who attended"), required=False, coerce=int
    )
    outsiders = forms.IntegerField(label=_("Other attendees (not in the registry)"), initial=0)

    def __init__(self, *args, households=(), organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = [(h.pk, h.name) for h in households]
        self.fields["organisations"].choices = [(o.pk, o.name) for o in organisations]
        self.fields["households"].widget.attrs["size"] = 8
        self.fields["organisations"].widget.attrs["size"] = 5


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    year = forms.IntegerField(label=_("Year"))
    period_start = DateField(
        label=_("Period from"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: 1 January"),
    )
    period_end = DateField(
        label=_("Period to"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the end of the month before the due month (or today)"),
    )
