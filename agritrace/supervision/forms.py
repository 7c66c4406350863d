"""Forms of the supervision pages. They parse and present; the rules are in services.py,
whose ValidationErrors come back beside the fields (agritrace.web.forms.add_service_errors)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.formats.fields import DateField, DateInput
from agritrace.registry.models import Market, PlantingArea

from .models import ChecklistTemplate, Decision, Hazard, ItemResult, Outcome, Pest

DECIMAL = {"step": "any", "inputmode": "decimal"}


class PlanForm(forms.Form):
    season = forms.CharField(
        label=gettext_lazy("Season"),
        max_length=60,
        help_text=gettext_lazy("A name for the plan, for example 2026"),
    )
    start = DateField(label=gettext_lazy("Start"), widget=DateInput())
    end = DateField(label=gettext_lazy("End"), widget=DateInput())


class AssignForm(forms.Form):
    inspector = forms.ModelChoiceField(label=gettext_lazy("Inspector"), queryset=None)

    def __init__(self, *args, inspectors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = inspectors


class ScheduleVisitForm(forms.Form):
    due_date = DateField(label=gettext_lazy("Due date"), widget=DateInput())
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VisitForm(forms.Form):
    """The checklist of a visit: one passed / failed / not applicable question per item,
    each with a note; then the outcome, the notes, the position and photos."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[("", gettext_lazy("From the checklist")), *Outcome.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    corrective_deadline = DateField(
        label=gettext_lazy("Deadline for the corrective actions"),
        required=False,
        widget=DateInput(),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required to propose a suspension: the reasons."),
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"), required=False, widget=forms.NumberInput(DECIMAL)
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"), required=False, widget=forms.NumberInput(DECIMAL)
    )

    def __init__(self, *args, template: ChecklistTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.items = list(template.items.all())
        fields = {}
        for item in self.items:
            fields[f"item_{item.key}"] = forms.ChoiceField(
                label=str(item),
                choices=ItemResult.choices,
                required=False,
                widget=forms.RadioSelect,
            )
            fields[f"note_{item.key}"] = forms.CharField(
                label=gettext_lazy("Note"),
                required=False,
                widget=forms.TextInput(attrs={"placeholder": gettext_lazy("What you saw")}),
            )
        self.fields = {**fields, **self.fields}

    def item_rows(self) -> list[tuple]:
        return [(item, self[f"item_{item.key}"], self[f"note_{item.key}"]) for item in self.items]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        items = {
            item.key: {"result": data[f"item_{item.key}"], "note": data[f"note_{item.key}"]}
            for item in self.items
            if data.get(f"item_{item.key}")
        }
        return {
            "items": items,
            "outcome": data.get("outcome") or None,
            "notes": data.get("notes", ""),
            "lon": data.get("lon"),
            "lat": data.get("lat"),
            "corrective_deadline": data.get("corrective_deadline"),
        }

    def field_map(self) -> dict[str, str]:
        return {f"items.{i.key}": f"item_{i.key}" for i in self.items}


class DecideProposalForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("suspend", gettext_lazy("Suspend the code")),
            ("decline", gettext_lazy("Do not suspend")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    until = DateField(label=gettext_lazy("Suspended until"), required=False, widget=DateInput())


class ObservationForm(forms.Form):
    plot = forms.ModelChoiceField(label=gettext_lazy("Plot"), queryset=None, required=False)
    observed_on = DateField(label=gettext_lazy("Date"), widget=DateInput())
    pest = forms.ModelChoiceField(label=gettext_lazy("Pest"), queryset=Pest.objects.all())
    incidence_pct = forms.CharField(
        # xgettext:no-python-format
        label=gettext_lazy("Incidence (% of trees)"),
        required=False,
        widget=forms.TextInput(DECIMAL),
    )
    count_per_tree = forms.CharField(
        label=gettext_lazy("Count per tree"), required=False, widget=forms.TextInput(DECIMAL)
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, plots=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plot"].queryset = plots
        self.fields["observed_on"].initial = timezone.localdate()

    def service_data(self, area: PlantingArea) -> dict:
        d = self.cleaned_data
        return {
            "area": area.pk,
            "plot": d["plot"].pk if d.get("plot") else None,
            "observed_on": d["observed_on"],
            "pest": d["pest"].key,
            "incidence_pct": d.get("incidence_pct"),
            "count_per_tree": d.get("count_per_tree"),
            "note": d.get("note", ""),
        }


class ResiduePlanForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    target_samples = forms.IntegerField(label=gettext_lazy("Samples planned"), min_value=1)
    source = forms.CharField(
        label=gettext_lazy("Source of the target"), required=False, max_length=300
    )
    source_date = DateField(
        label=gettext_lazy("Date of the source"),
        required=False,
        widget=DateInput(),
    )


class SampleForm(forms.Form):
    area = forms.ModelChoiceField(label=gettext_lazy("Planting area"), queryset=None)
    code = forms.CharField(
        label=gettext_lazy("Sample code"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Left empty, a code is given"),
    )
    plot_or_lot = forms.CharField(label=gettext_lazy("Plot or lot"), required=False, max_length=120)
    sampled_on = DateField(label=gettext_lazy("Date sampled"), required=False, widget=DateInput())
    planned_for = DateField(
        label=gettext_lazy("Or planned for"), required=False, widget=DateInput()
    )
    laboratory = forms.ModelChoiceField(label=gettext_lazy("Laboratory"), queryset=None)
    analyses = forms.CharField(
        label=gettext_lazy("Active ingredients to test"),
        help_text=gettext_lazy(
            "Names of the input catalogue, separated by commas, e.g. Chlorpyrifos ethyl, "
            "Carbendazim"
        ),
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = visible(
            actor, PlantingArea.objects.exclude(code__isnull=True)
        ).order_by("code")
        self.fields["area"].label_from_instance = lambda a: f"{a.code} · {a.name}"
        self.fields["laboratory"].queryset = Organisation.objects.filter(
            kind=OrgKind.LABORATORY
        ).order_by("name")

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["area"] = d["area"].pk
        d["laboratory"] = d["laboratory"].pk
        return d


class ResultForm(forms.Form):
    ingredient = forms.ChoiceField(label=gettext_lazy("Active ingredient"), choices=())
    value_mg_kg = forms.CharField(
        label=gettext_lazy("Value (mg/kg)"), widget=forms.TextInput(DECIMAL)
    )
    loq_mg_kg = forms.CharField(
        label=gettext_lazy("Limit of quantification (mg/kg)"),
        required=False,
        widget=forms.TextInput(DECIMAL),
    )
    analysed_on = DateField(label=gettext_lazy("Date analysed"), widget=DateInput())

    def __init__(self, *args, sample, **kwargs):
        super().__init__(*args, **kwargs)
        done = set(sample.results.values_list("ingredient__name", flat=True))
        self.fields["ingredient"].choices = [(i, i) for i in sample.analyses if i not in done]
        self.fields["analysed_on"].initial = timezone.localdate()


class TakeSampleForm(forms.Form):
    sampled_on = DateField(label=gettext_lazy("Date sampled"), widget=DateInput())
    plot_or_lot = forms.CharField(label=gettext_lazy("Plot or lot"), required=False, max_length=120)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Columns: sample_code, ingredient, value_mg_kg, loq_mg_kg, analysed_on"
        ),
    )


class CloseCaseForm(forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("Resolution"), widget=forms.Textarea(attrs={"rows": 2})
    )


class NoticeForm(forms.Form):
    market = forms.ModelChoiceField(
        label=gettext_lazy("Importing country"), queryset=Market.objects.all(), to_field_name="code"
    )
    reference = forms.CharField(label=gettext_lazy("Notice reference"), required=False)
    received_on = DateField(label=gettext_lazy("Date of the notice"), widget=DateInput())
    shipment_reference = forms.CharField(label=gettext_lazy("Shipment reference"), required=False)
    codes = forms.CharField(
        label=gettext_lazy("Codes named"),
        help_text=gettext_lazy("As written in the notice, separated by commas"),
    )
    hazard = forms.ChoiceField(label=gettext_lazy("Hazard"), choices=Hazard.choices)
    detail = forms.CharField(
        label=gettext_lazy("Detail"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["market"] = d["market"].code
        return d


class InvestigateForm(forms.Form):
    visit_due = DateField(
        label=gettext_lazy("Surprise visit on"), required=False, widget=DateInput()
    )
    laboratory = forms.ModelChoiceField(
        label=gettext_lazy("Laboratory for samples"),
        queryset=Organisation.objects.filter(kind=OrgKind.LABORATORY),
        required=False,
    )
    analyses = forms.CharField(label=gettext_lazy("Active ingredients to test"), required=False)
    sampled_on = DateField(
        label=gettext_lazy("Samples taken on"), required=False, widget=DateInput()
    )


class DecideNoticeForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    until = DateField(label=gettext_lazy("Suspended until"), required=False, widget=DateInput())


class ReplyForm(forms.Form):
    reply_text = forms.CharField(
        label=gettext_lazy("Reply to the importing country"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    replied_on = DateField(
        label=gettext_lazy("Date of the reply"), required=False, widget=DateInput()
    )
