"""Is a captured event whose event hash ID is already stored really that stored event?

The hash ID (trace.hashing) leaves out eventID, recordTime, errorDeclaration and
certificationInfo, as the written CBV text says. So an equal hash is not yet the same event: a
capture that differs from the stored event in certificationInfo is reported (the capture is
refused, naming the field and the reason), never counted as a duplicate and dropped.

Another eventID alone does not make another event: GS1's own examples send one event under two
eventIDs (Example_9.6.1 and its with-comment twin), and the identifier is not the event's
content. Such a capture counts as a duplicate, as before.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .hashing import Namespaces, content_key


def difference(
    stored_document: Mapping, event: Mapping, namespaces: Namespaces
) -> tuple[str, str] | None:
    """(field, message) when `event` has the stored event's hash ID but is not that event;
    None when it is the same event (a duplicate). `stored_document` carries its own context."""
    if content_key(stored_document, Namespaces()) != content_key(event, namespaces):
        return "certificationInfo", _(
            "An event with this event hash ID is already stored with a different "
            "certificationInfo (the event hash ID does not cover certificationInfo), so this "
            "event was not stored."
        )
    return None
