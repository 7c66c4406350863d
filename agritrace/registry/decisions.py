"""What an officer needs to see before deciding on a file, in one list: the area page's own
flags (`services.area_flags`: declared against measured area, overlapping plots), what keeps
the file from being complete (`lifecycle.submission_problems`: no household, no plot, a
market's rules unmet) and a file without any document. Shown on the application page and in
the application's API answer.

Which documents a file must hold is not in the data (no regulatory list has been confirmed
here), so only a file with no document at all is warned about; the officer judges the rest."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .lifecycle import submission_problems
from .models import Application, PlantingArea
from .services import area_flags


def application_warnings(app: Application) -> list[str]:
    """The warnings on an application, in the order an officer reads a file: the holder's
    measurements, the missing pieces, the documents."""
    warnings: list[str] = []
    holder = app.subject
    if isinstance(holder, PlantingArea):
        warnings.extend(area_flags(holder))
    for messages in submission_problems(app).values():
        warnings.extend(messages)
    if not app.documents.exists():
        warnings.append(_("No document is attached to this file."))
    return warnings
