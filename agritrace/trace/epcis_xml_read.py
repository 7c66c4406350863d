"""EPCIS 2.0 XML → the JSON-LD dict form the capture path validates and stores.

Parsed by lxml with entities never expanded, no DTD loaded and no network: a document that
declares a DTD (an internal subset or an external identifier) or an entity is refused before
its content is read; an empty `<!DOCTYPE name>`, which declares nothing, is let through (one of
GS1's own examples has one). Every problem is an `XMLProblem` naming the line and the element.

The mapping (epcis_xml_binding.py has the tables): each event element becomes an event object
of that `type`; standard elements in no namespace become the JSON fields of the same name;
CBV URNs and Web URIs become the bare words JSON-LD writes; lists of `epc` elements become
arrays; `quantityElement`s objects; the `type` attribute of bizTransaction / source /
destination the entry's `type`; sensorMetadata and sensorReport attributes their fields (numbers
and booleans typed as in the XSD); elements of any other namespace user extensions keyed
`prefix:localName`, with the prefix's namespace added to the document's @context (text as
strings, child elements as objects, repeated elements as arrays); `extension` and
`baseExtension` wrappers (EPCIS 1.x layout) are read through.
"""

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from . import epcis_xml_binding as b
from . import vocab

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_WRAPPERS = frozenset({"extension", "baseExtension"})
#: Namespaces that are the XML binding's own, never a JSON-LD prefix.
_NOT_CONTEXT = frozenset(
    {
        b.EPCIS_NS,
        b.EPCIS_NS_1,
        b.QUERY_NS,
        b.QUERY_NS_1,
        b.XSI_NS,
        "http://www.w3.org/2001/XMLSchema",
        "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader",
    }
)


class XMLProblem(ValueError):
    """The XML cannot be read as an EPCIS document: a message, and where (line, element)."""

    def __init__(self, message: str, line: int | None = None, where: str = "") -> None:
        self.message, self.line, self.where = message, line, where
        prefix = _("line %(line)s") % {"line": line} if line else ""
        if where:
            prefix = f"{prefix}, {where}" if prefix else where
        super().__init__(f"{prefix}: {message}" if prefix else message)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _refuse_dtd(tree: etree._ElementTree) -> None:
    info = tree.docinfo
    if info.system_url or info.public_id:
        raise XMLProblem(_("A DOCTYPE naming an external DTD is not accepted."), 1, "<!DOCTYPE>")
    dtd = info.internalDTD
    if dtd is not None and (list(dtd.iterelements()) or list(dtd.iterentities())):
        raise XMLProblem(
            _("A DOCTYPE declaring elements or entities is not accepted."), 1, "<!DOCTYPE>"
        )


def parse_tree(raw: bytes) -> etree._Element:
    """The root element of an XML text, safely parsed; XMLProblem when it is not well formed
    or declares a DTD or an entity."""
    declared = raw.split(b"<!DOCTYPE", 1)[1].split(b">", 1)[0] if b"<!DOCTYPE" in raw else b""
    if b"<!ENTITY" in raw or b"[" in declared:
        raise XMLProblem(_("A DOCTYPE declaring entities is not accepted."), 1, "<!DOCTYPE>")
    if b"SYSTEM" in declared or b"PUBLIC" in declared:
        raise XMLProblem(_("A DOCTYPE naming an external DTD is not accepted."), 1, "<!DOCTYPE>")
    try:
        tree = etree.ElementTree(etree.fromstring(raw, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = str(exc.msg or exc).split(" (line ", 1)[0].strip()
        raise XMLProblem(_("Malformed XML: %(msg)s.") % {"msg": message.rstrip(".")}, line) from exc
    _refuse_dtd(tree)
    return tree.getroot()


def _qname(element: etree._Element) -> tuple[str, str]:
    q = etree.QName(element)
    return q.namespace or "", q.localname


def _children(element: etree._Element) -> Iterator[etree._Element]:
    """Child elements, with `extension` / `baseExtension` wrappers read through."""
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction left over
        ns, local = _qname(child)
        if not ns and local in _WRAPPERS:
            yield from _children(child)
        else:
            yield child


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


class Reader:
    """One document's conversion: collects the namespaces its extensions use."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}  # the document's @context (beyond the standard)
        self.event_prefixes: dict[str, str] = {}  # the current event's own @context
        self.in_event = False
        self.lines: list[int] = []  # the source line of each event, in order

    # ---------------------------------------------------------------- helpers

    def text(self, element: etree._Element) -> str:
        """The text of an element that holds text only."""
        for child in element:
            if isinstance(child.tag, str):
                raise self.problem(
                    child,
                    _("<%(name)s> holds text only, not elements.")
                    % {"name": etree.QName(element).localname},
                )
        return _text(element)

    def problem(self, element: etree._Element, message: str) -> XMLProblem:
        return XMLProblem(message, element.sourceline, f"<{etree.QName(element).localname}>")

    def bound(self, prefix: str) -> str | None:
        """The namespace a JSON-LD prefix stands for where the reader is (the event's own
        @context first, then the document's)."""
        if prefix in self.event_prefixes:
            return self.event_prefixes[prefix]
        return self.prefixes.get(prefix)

    def bind(self, prefix: str, namespace: str) -> bool:
        """Make `prefix` stand for `namespace` here: in the document's @context when it is
        free there, else in the event's own; False when it is taken in both."""
        if prefix in vocab.STANDARD_PREFIXES and vocab.STANDARD_PREFIXES[prefix] != namespace:
            return False
        if self.bound(prefix) == namespace or prefix in vocab.STANDARD_PREFIXES:
            return True
        if prefix not in self.prefixes and prefix not in self.event_prefixes:
            self.prefixes[prefix] = namespace
            return True
        if prefix not in self.event_prefixes and self.in_event:
            self.event_prefixes[prefix] = namespace
            return True
        return False

    def prefix_for(self, namespace: str, hint: str | None) -> str:
        """The JSON-LD prefix of an extension namespace: the standard context's own for its
        namespaces, else the XML prefix (another name when it stands for something else)."""
        if namespace in b.STANDARD_NAMESPACE_PREFIX:
            return b.STANDARD_NAMESPACE_PREFIX[namespace]
        if hint and hint.isidentifier() and self.bind(hint, namespace):
            return hint
        for prefix in (*self.event_prefixes, *self.prefixes):
            if self.bound(prefix) == namespace:
                return prefix
        base = hint if hint and hint.isidentifier() else "ns"
        candidate, n = base, 1
        while not self.bind(candidate, namespace):
            n += 1
            candidate = f"{base}{n}"
        return candidate

    def declare(self, element: etree._Element) -> dict[str, str]:
        """The namespaces an element declares that can be JSON-LD prefixes (not the EPCIS,
        XML Schema or standard context ones)."""
        found = {}
        for prefix, namespace in (element.nsmap or {}).items():
            if not prefix or not prefix.isidentifier() or namespace in _NOT_CONTEXT:
                continue
            if namespace in b.STANDARD_NAMESPACE_PREFIX or prefix in vocab.STANDARD_PREFIXES:
                continue
            found[prefix] = namespace
        return found

    def key(self, element_or_name, namespace: str = "", hint: str | None = None) -> str:
        if isinstance(element_or_name, str):
            return f"{self.prefix_for(namespace, hint)}:{element_or_name}"
        ns, local = _qname(element_or_name)
        if not ns:
            return local  # an unqualified element inside an extension: a plain key
        return f"{self.prefix_for(ns, element_or_name.prefix)}:{local}"

    def context(self) -> list:
        extra = [{p: ns} for p, ns in self.prefixes.items()]
        return [CONTEXT, *extra]

    # ---------------------------------------------------------------- extensions

    def extension_value(self, element: etree._Element) -> object:
        children = list(_children(element))
        if not children:
            return self.curie(element, _text(element))
        return self.extension_object(children)

    def extension_object(self, children) -> dict:
        found: dict[str, object] = {}
        repeated: set[str] = set()
        for child in children:
            self.add_extension(found, child, repeated)
        return found

    def add_extension(self, target: dict, element: etree._Element, repeated: set) -> None:
        """An extension element into a JSON object (a repeated name becomes an array)."""
        name = self.key(element)
        value = self.extension_value(element)
        if name in target:
            if name not in repeated:
                target[name] = [target[name]]
                repeated.add(name)
            target[name].append(value)
        else:
            target[name] = value

    def attributes(self, element: etree._Element, known: tuple[str, ...], target: dict) -> None:
        for name, value in element.attrib.items():
            q = etree.QName(name)
            if q.namespace == b.XSI_NS:
                continue
            if q.namespace:
                hint = next(
                    (p for p, ns in (element.nsmap or {}).items() if ns == q.namespace), None
                )
                target[self.key(q.localname, q.namespace, hint)] = value.strip()
            else:  # a standard one, or another the JSON Schema then judges
                target[q.localname] = value.strip()

    # ---------------------------------------------------------------- standard fields

    def curie(self, element: etree._Element, value: str) -> str:
        """A CURIE value (example:Abc): its prefix's namespace, in scope in the XML, joins the
        @context, so that the JSON-LD value means the same."""
        prefix, sep, rest = value.partition(":")
        namespace = (element.nsmap or {}).get(prefix) if sep and not rest.startswith("//") else None
        if namespace and namespace not in _NOT_CONTEXT:
            self.bind(prefix, namespace)
        return value

    def epc_list(self, element: etree._Element) -> list[str]:
        found = []
        for child in _children(element):
            ns, local = _qname(child)
            if ns or local != "epc":
                raise self.problem(child, _("Only <epc> elements belong in this list."))
            found.append(self.text(child))
        return found

    def quantity_list(self, element: etree._Element) -> list[dict]:
        found = []
        for child in _children(element):
            ns, local = _qname(child)
            if ns or local != "quantityElement":
                raise self.problem(child, _("Only <quantityElement> elements belong here."))
            entry: dict[str, object] = {}
            for part in _children(child):
                pns, plocal = _qname(part)
                if pns:
                    continue
                if plocal == "epcClass":
                    entry["epcClass"] = self.text(part)
                elif plocal == "quantity":
                    if part.get(f"{{{b.XSI_NS}}}nil") in ("true", "1") or not self.text(part):
                        continue
                    entry["quantity"] = self.decimal(part)
                elif plocal == "uom":
                    entry["uom"] = self.text(part)
                else:
                    raise self.problem(part, _("Unknown element in a quantityElement."))
            if "epcClass" not in entry:
                raise self.problem(child, _("A quantityElement needs its <epcClass>."))
            if "quantity" not in entry:
                entry.pop("uom", None)
            found.append(entry)
        return found

    def decimal(self, element: etree._Element, text: str | None = None) -> int | float:
        raw = self.text(element) if text is None else text.strip()
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise self.problem(element, _("'%(v)s' is not a number.") % {"v": raw}) from None
        if not number.is_finite():
            raise self.problem(element, _("'%(v)s' is not a number.") % {"v": raw})
        if number == number.to_integral_value() and "e" not in raw.lower() and "." not in raw:
            return int(number)
        return float(number)

    def place(self, element: etree._Element) -> dict:
        found: dict[str, object] = {}
        repeated: set[str] = set()
        for child in _children(element):
            ns, local = _qname(child)
            if not ns and local == "id":
                found["id"] = self.text(child)
            elif ns:
                self.add_extension(found, child, repeated)
            else:
                raise self.problem(child, _("Unknown element in a location."))
        if "id" not in found:
            raise self.problem(element, _("A location needs its <id>."))
        return found

    def typed_list(self, element: etree._Element, field: str) -> list[dict]:
        entry_name, key, kind = b.TYPED_LISTS[field]
        found = []
        for child in _children(element):
            ns, local = _qname(child)
            if ns or local != entry_name:
                raise self.problem(
                    child, _("Only <%(name)s> elements belong here.") % {"name": entry_name}
                )
            entry: dict[str, str] = {}
            if child.get("type"):
                entry["type"] = b.cbv_to_json(kind, child.get("type"))
            entry[key] = self.text(child)
            found.append(entry)
        return found

    def persistent_disposition(self, element: etree._Element) -> dict:
        found: dict[str, list[str]] = {}
        for child in _children(element):
            ns, local = _qname(child)
            if ns or local not in ("set", "unset"):
                raise self.problem(child, _("Only <set> and <unset> belong here."))
            found.setdefault(local, []).append(b.cbv_to_json("disposition", self.text(child)))
        return found

    def error_declaration(self, element: etree._Element) -> dict:
        found: dict[str, object] = {}
        repeated: set[str] = set()
        for child in _children(element):
            ns, local = _qname(child)
            if ns:
                self.add_extension(found, child, repeated)
            elif local == "declarationTime":
                found["declarationTime"] = self.text(child)
            elif local == "reason":
                found["reason"] = b.cbv_to_json("reason", self.text(child))
            elif local == "correctiveEventIDs":
                found["correctiveEventIDs"] = [self.text(c) for c in _children(child)]
            else:
                raise self.problem(child, _("Unknown element in an errorDeclaration."))
        return found

    def sensor_element_list(self, element: etree._Element) -> list[dict]:
        found = []
        for child in _children(element):
            ns, local = _qname(child)
            if ns or local != "sensorElement":
                raise self.problem(child, _("Only <sensorElement> elements belong here."))
            found.append(self.sensor_element(child))
        return found

    def sensor_element(self, element: etree._Element) -> dict:
        found: dict[str, object] = {}
        repeated: set[str] = set()
        for child in _children(element):
            ns, local = _qname(child)
            if ns:
                self.add_extension(found, child, repeated)
            elif local == "sensorMetadata":
                metadata: dict[str, object] = {}
                self.attributes(child, b.SENSOR_METADATA, metadata)
                found["sensorMetadata"] = metadata
            elif local == "sensorReport":
                found.setdefault("sensorReport", []).append(self.sensor_report(child))
            else:
                raise self.problem(child, _("Unknown element in a sensorElement."))
        return found

    def sensor_report(self, element: etree._Element) -> dict:
        raw: dict[str, object] = {}
        self.attributes(element, b.SENSOR_REPORT, raw)
        report: dict[str, object] = {}
        for name, value in raw.items():
            if name in b.SENSOR_NUMBERS:
                report[name] = self.decimal(element, str(value))
            elif name in b.SENSOR_BOOLEANS:
                if value not in ("true", "false", "1", "0"):
                    raise self.problem(element, _("booleanValue must be true or false."))
                report[name] = value in ("true", "1")
            elif name in ("type", "exception", "component"):
                report[name] = self.curie(element, b.sensor_to_json(name, str(value)))
            else:
                report[name] = value
        return report

    # ---------------------------------------------------------------- events

    def event(self, element: etree._Element) -> dict:
        ns, kind = _qname(element)
        if ns not in b.DOCUMENT_NAMESPACES or kind not in b.EVENT_TYPES:
            raise self.problem(element, _("Not an EPCIS event type."))
        self.lines.append(element.sourceline or 0)
        allowed = set(b.EVENT_FIELDS[kind])
        event: dict[str, object] = {"type": kind}
        repeated: set[str] = set()
        self.in_event = True
        self.event_prefixes = {
            p: ns for p, ns in self.declare(element).items() if self.prefixes.get(p) != ns
        }
        for child in _children(element):
            cns, local = _qname(child)
            if cns:
                self.add_extension(event, child, repeated)
                continue
            if local not in allowed:
                raise self.problem(child, _("Not an element of a %(type)s.") % {"type": kind})
            if local in event and local != "certificationInfo":
                raise self.problem(child, _("This element is given twice."))
            event[local] = self.field(local, child, event)
            if local in b.EPC_LISTS and not event[local]:
                del event[local]  # an empty list says nothing (the XSD requires some)
        if self.event_prefixes:
            # Namespaces the event element declares for itself: the event's own @context.
            event["@context"] = [{p: ns} for p, ns in self.event_prefixes.items()]
        self.in_event, self.event_prefixes = False, {}
        return event

    def field(self, name: str, element: etree._Element, event: dict) -> object:
        if name in b.PLAIN_TEXT:
            return self.text(element)
        if name in b.VOCAB_FIELDS:
            return b.cbv_to_json(b.VOCAB_FIELDS[name], self.text(element))
        if name in b.EPC_LISTS:
            return self.epc_list(element)
        if name in b.QUANTITY_LISTS:
            return self.quantity_list(element)
        if name in b.TYPED_LISTS:
            return self.typed_list(element, name)
        if name in ("readPoint", "bizLocation"):
            return self.place(element)
        if name == "persistentDisposition":
            return self.persistent_disposition(element)
        if name == "errorDeclaration":
            return self.error_declaration(element)
        if name == "sensorElementList":
            return self.sensor_element_list(element)
        if name == "certificationInfo":
            previous = event.get("certificationInfo")
            value = self.text(element)
            if previous is None:
                return value
            return [*(previous if isinstance(previous, list) else [previous]), value]
        if name == "ilmd":
            return self.extension_object(list(_children(element)))
        raise self.problem(element, _("Not an element of an event."))  # pragma: no cover

    def event_list(self, element: etree._Element) -> list[dict]:
        return [self.event(child) for child in _children(element)]

    # ---------------------------------------------------------------- documents

    def document(self, root: etree._Element) -> dict:
        ns, local = _qname(root)
        self.prefixes.update(self.declare(root))
        if local == "EPCISDocument" and ns in b.DOCUMENT_NAMESPACES:
            body = self.child(root, "EPCISBody")
            events_element = self.child(body, "EventList", required=False)
            events = self.event_list(events_element) if events_element is not None else []
            document = {"type": "EPCISDocument"}
            self.document_attributes(root, document)
            document["epcisBody"] = {"eventList": events}
        elif local == "EPCISQueryDocument" and ns in b.QUERY_NAMESPACES:
            body = self.child(root, "EPCISBody")
            results = next((c for c in _children(body) if _qname(c)[1] == "QueryResults"), None)
            if results is None:
                raise self.problem(body, _("An EPCISQueryDocument needs its QueryResults."))
            query: dict[str, object] = {}
            for part in ("queryName", "subscriptionID"):
                found = self.child(results, part, required=part == "queryName")
                if found is not None:
                    query[part] = _text(found)
            results_body = self.child(results, "resultsBody")
            events_element = self.child(results_body, "EventList", required=False)
            events = self.event_list(events_element) if events_element is not None else []
            query["resultsBody"] = {"eventList": events}
            document = {"type": "EPCISQueryDocument"}
            self.document_attributes(root, document)
            document["epcisBody"] = {"queryResults": query}
        else:
            raise self.problem(
                root, _("The root element must be an EPCISDocument (urn:epcglobal:epcis:xsd:2).")
            )
        return {"@context": self.context(), **document}

    def document_attributes(self, root: etree._Element, document: dict) -> None:
        for name in ("schemaVersion", "creationDate"):
            if root.get(name) is not None:
                document[name] = root.get(name).strip()
        if "schemaVersion" in document and document["schemaVersion"].startswith("1."):
            document["schemaVersion"] = "2.0"  # read through the 1.x layout as 2.0
        document.setdefault("schemaVersion", "2.0")
        document.setdefault("creationDate", "")
        if not document["creationDate"]:
            raise self.problem(root, _("The document needs its creationDate attribute."))

    def child(self, element: etree._Element, name: str, required: bool = True):
        for child in _children(element):
            if _qname(child)[1] == name:
                return child
        if required:
            raise self.problem(element, _("<%(name)s> is missing.") % {"name": name})
        return None


def read(raw: bytes) -> tuple[dict, list[int]]:
    """(the JSON-LD document, the source line of each event) of an EPCIS XML text."""
    reader = Reader()
    root = parse_tree(raw)
    return reader.document(root), reader.lines
