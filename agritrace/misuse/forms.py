"""The officer's forms on the misuse pages. They only parse; the rules (a reason required, a
step out of order, a date in the past) are the services', shown beside the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agritrace.formats.fields import DateField, DateInput

from .models import CaseAction


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is not misuse"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
    )


class ActForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=CaseAction.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        help_text=_(
            "Becomes the reason of the warning, inspection or decision on the code; "
            "the confirmation's note when empty."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_date = DateField(
        label=_("Inspection day"),
        required=False,
        help_text=_("For a surprise inspection (in a week when empty)."),
        widget=DateInput(),
    )
    until = DateField(
        label=_("Suspended until"),
        required=False,
        help_text=_("For a suspension (until reinstated when empty)."),
        widget=DateInput(),
    )


#: step → (form class, the button's words)
STEP_FORMS = {
    "review": (NoteForm, _("Take up for review")),
    "dismiss": (DismissForm, _("Dismiss the case")),
    "confirm": (NoteForm, _("Confirm misuse")),
    "act": (ActForm, _("Take the action")),
    "note": (NoteForm, _("Add the note")),
}


class RuleForm(forms.Form):
    """A rule's switch and its thresholds (one number field per threshold it has)."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)

    def __init__(self, *args, rule=None, names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        for name in sorted(names):
            self.fields[f"t_{name}"] = forms.FloatField(label=name, required=True)

    def thresholds(self) -> dict:
        return {k[2:]: v for k, v in self.cleaned_data.items() if k.startswith("t_")}
