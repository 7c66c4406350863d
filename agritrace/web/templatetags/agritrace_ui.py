"""Template helpers shared by the web pages: status badges, overdue marks, role checks and
the labels of lifecycle steps.

    {% load agritrace_ui %}
    {% status_badge area.code_status "code" %}   {# code / app / approval #}
    {% if actor|can:"decide" %}…{% endif %}
    {% if app|is_overdue %}{% overdue_badge %}{% endif %}
    {{ step.action|step_label }}
    {{ entry.recorded_by|person }}               {# family name first, "—" for nobody #}
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import can as access_can
from agritrace.accounts.names import display_name
from agritrace.registry.lifecycle import TRANSITIONS
from agritrace.registry.models import ApprovalStatus, AppStatus, CodeStatus

register = template.Library()

_LABELS = {
    "code": dict(CodeStatus.choices),
    "app": dict(AppStatus.choices),
    "approval": dict(ApprovalStatus.choices),
}

#: Statuses that have no colour of their own in app.css borrow the nearest one.
_CSS_CLASS = {
    "code": {CodeStatus.NONE: "draft"},
    "app": {AppStatus.WITHDRAWN: "draft"},
    "approval": {
        ApprovalStatus.PREPARING: "draft",
        ApprovalStatus.SUBMITTED: "submitted",
        ApprovalStatus.SENT: "under_appraisal",
        ApprovalStatus.APPROVED: "issued",
        ApprovalStatus.REFUSED: "rejected",
        ApprovalStatus.WITHDRAWN: "revoked",
    },
}

#: Steps that are not application transitions (see lifecycle.py).
_OTHER_STEPS = {
    "schedule_inspection": gettext_lazy("Field inspection scheduled"),
    "record_inspection": gettext_lazy("Field inspection recorded"),
    "reopen": gettext_lazy("Review reopened"),
    "suspend": gettext_lazy("Code suspended"),
    "reinstate": gettext_lazy("Code reinstated"),
    "revoke": gettext_lazy("Code revoked"),
    "import": gettext_lazy("Imported with its history"),
}


def status_label(value: str, kind: str = "code") -> str:
    return str(_LABELS.get(kind, {}).get(value, value or ""))


def status_css(value: str, kind: str = "code") -> str:
    return _CSS_CLASS.get(kind, {}).get(value, value or "none")


@register.simple_tag
def status_badge(value: str, kind: str = "code") -> str:
    """A coloured badge for a code status ("code"), application status ("app") or market
    approval status ("approval")."""
    return format_html(
        '<span class="badge status-{}">{}</span>',
        status_css(value, kind),
        status_label(value, kind),
    )


@register.simple_tag
def overdue_badge() -> str:
    return format_html('<span class="badge overdue">{}</span>', _("Overdue"))


@register.filter
def can(actor, action: str) -> bool:
    """{% if actor|can:"decide" %}: the same rule as access.can()."""
    if actor is None:
        return False
    return access_can(actor, action)


@register.filter
def is_overdue(app) -> bool:
    """An open application whose current step is past its deadline."""
    return bool(app is not None and app.is_open and app.is_overdue)


@register.filter
def step_label(action: str) -> str:
    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    return str(_OTHER_STEPS.get(action, action))


@register.filter
def person(user) -> str:
    """A person's name, family name first (accounts.names.display_name); "—" for nobody."""
    return display_name(user) or "—"
