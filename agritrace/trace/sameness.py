"""Is a captured event whose event hash ID is already stored really that stored event?

The hash ID (trace.hashing) covers every field but eventID, recordTime and errorDeclaration
(certificationInfo included, since issue 16). An equal CBV 2.0 hash is still not taken on trust:
the pre-hash strings of both versions must be equal too (`hashing.content_key`). The CBV 2.0
string writes a user extension inside readPoint, bizLocation or a sensor element in a block
after the ILMD, the CBV 2.1 string inside its field, so a value that imitates such a block can
give two different events one CBV 2.0 string. Such a capture is reported (refused, naming the
field and the reason), never counted as a duplicate and dropped.

Another eventID alone does not make another event: GS1's own examples send one event under two
eventIDs (Example_9.6.1 and its with-comment twin), and the identifier is not the event's
content. Such a capture counts as a duplicate, as before.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .hashing import Namespaces, content_key

#: Fields that do not make another event (left out of the hash, or not content).
_NOT_CONTENT = frozenset(
    {"eventID", "recordTime", "errorDeclaration", "@context", "rdfs:comment", "comment"}
)


def difference(
    stored_document: Mapping, event: Mapping, namespaces: Namespaces
) -> tuple[str, str] | None:
    """(field, message) when `event` has the stored event's hash ID but is not that event;
    None when it is the same event (a duplicate). `stored_document` carries its own context.
    The field is the first (by name) whose value differs, else `@context` (the same words
    in other namespaces)."""
    if content_key(stored_document, Namespaces()) == content_key(event, namespaces):
        return None
    names = sorted((set(stored_document) | set(event)) - _NOT_CONTENT)
    field = next((n for n in names if stored_document.get(n) != event.get(n)), "@context")
    return field, _(
        "An event with this event hash ID is already stored with different content, so this "
        "event was not stored."
    )
