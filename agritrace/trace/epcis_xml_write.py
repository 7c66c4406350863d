"""The JSON-LD dict form of an EPCIS document → EPCIS 2.0 XML (the XSD's element order).

The reverse of epcis_xml_read.py: each event an element named by its `type`, its fields as the
XSD's elements in the XSD's order, CBV bare words as CBV URNs (or GS1 Web URIs when the client
asks, `GS1-CBV-XML-Format: Always_Web_URI`), sensorReport types as `gs1:` terms, user extensions
(`prefix:localName` keys) as elements of the namespace the @context gives the prefix, declared
once on the root element. Reading the XML back gives events with the same event hashes.
"""

import json
from collections.abc import Mapping

from lxml import etree

from . import epcis_xml_binding as b
from . import vocab
from .hashing import STANDARD_FIELDS, Namespaces

_CBVMDA_JSON = "urn:epcglobal:cbv:mda:"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _own_prefixes(context: object) -> dict[str, str]:
    """The prefixes a JSON-LD @context defines itself (beyond the standard context), that can
    be XML prefixes; `epcis` is the XML binding's own."""
    found = Namespaces(context).prefixes
    return {
        p: iri
        for p, iri in found.items()
        if p.isidentifier() and p != "epcis" and vocab.STANDARD_PREFIXES.get(p) != iri
    }


class Writer:
    """One document's conversion. The document's own @context prefixes are declared on the
    root, an event's own on its element: a CURIE value (a sensor type example:Abc, an
    extension's value ex:ambiance) keeps its meaning where it stands."""

    def __init__(self, style: str = b.URN) -> None:
        self.style = style

    def resolve(self, key: str, ns: Namespaces) -> tuple[str, str, str | None] | None:
        """(namespace, local name, prefix) of an extension key, or None for a key that has
        no meaning in XML (a JSON-LD keyword or comment)."""
        if key in b.IGNORED_KEYS or key.startswith("@"):
            return None
        prefix, sep, local = key.partition(":")
        if sep and local and not local.startswith("//"):
            namespace = ns.prefixes.get(prefix) or b.STANDARD_XML_PREFIXES.get(prefix)
            if prefix == "cbvmda" and namespace in (None, _CBVMDA_JSON):
                namespace = b.STANDARD_XML_PREFIXES["cbvmda"]
            if namespace is None:
                namespace = f"urn:agritrace:undeclared-prefix:{prefix}"
            return namespace, local, prefix
        cut = max(key.rfind("/"), key.rfind("#"))
        if cut <= 0 or cut == len(key) - 1:
            return None
        return key[: cut + 1], key[cut + 1 :], None

    def element(self, parent: etree._Element, key: str, ns: Namespaces, nested: bool = False):
        """A new child element for an extension key, its namespace declared on it when no
        ancestor declares it (under the key's prefix when that is free); None when the key
        cannot be an XML element. Inside an extension (`nested`) a plain key is an unqualified
        element."""
        if nested and key.isidentifier() and key not in b.IGNORED_KEYS:
            return etree.SubElement(parent, key)
        found = self.resolve(key, ns)
        if found is None:
            return None
        namespace, local, prefix = found
        scope = parent.nsmap or {}
        nsmap = None
        if namespace not in scope.values() and prefix and prefix.isidentifier():
            if prefix not in scope:
                nsmap = {prefix: namespace}
        try:
            return etree.SubElement(parent, f"{{{namespace}}}{local}", nsmap=nsmap)
        except ValueError:
            return None  # not an XML name: nothing it could be written as

    def attribute_name(self, key: str, element: etree._Element, ns: Namespaces) -> str | None:
        found = self.resolve(key, ns)
        if found is None:
            return None
        namespace, local, _prefix = found
        return f"{{{namespace}}}{local}"

    # ---------------------------------------------------------------- extensions

    def extension(
        self, parent: etree._Element, key: str, value: object, ns: Namespaces, nested=False
    ) -> None:
        if isinstance(value, list):
            for item in value:
                self.extension(parent, key, item, ns, nested)
            return
        element = self.element(parent, key, ns, nested)
        if element is None:
            return
        if isinstance(value, Mapping):
            if "@value" in value:
                element.text = _text(value["@value"])
            for child_key, child in value.items():
                self.extension(element, child_key, child, ns, nested=True)
        else:
            element.text = _text(value)

    def extensions(self, parent, obj: Mapping, skip, ns: Namespaces) -> None:
        for key, value in obj.items():
            if key not in skip:
                self.extension(parent, key, value, ns)

    def attributes(self, element, obj: Mapping, known: tuple[str, ...], ns: Namespaces) -> None:
        for key in known:
            if key in obj and obj[key] is not None:
                value = obj[key]
                if key in ("type", "exception", "component"):
                    value = b.sensor_to_xml(key, value, self.style)
                element.set(key, _text(value))
        for key, value in obj.items():
            if key in known:
                continue
            name = key if key.isidentifier() else self.attribute_name(key, element, ns)
            if name is not None:
                try:
                    element.set(name, _text(value))
                except ValueError:
                    continue

    # ---------------------------------------------------------------- standard fields

    def leaf(self, parent, name: str, value: object) -> etree._Element:
        element = etree.SubElement(parent, name)
        element.text = _text(value)
        return element

    def field(self, parent, name: str, value: object, ns: Namespaces) -> None:
        if name in b.PLAIN_TEXT:
            self.leaf(parent, name, value)
        elif name in b.VOCAB_FIELDS:
            self.leaf(parent, name, b.cbv_to_xml(b.VOCAB_FIELDS[name], str(value), self.style))
        elif name in b.EPC_LISTS:
            element = etree.SubElement(parent, name)
            for epc in value or []:
                self.leaf(element, "epc", epc)
        elif name in b.QUANTITY_LISTS:
            element = etree.SubElement(parent, name)
            for entry in value or []:
                quantity = etree.SubElement(element, "quantityElement")
                for part in ("epcClass", "quantity", "uom"):
                    if part in entry and entry[part] is not None:
                        self.leaf(quantity, part, entry[part])
        elif name in b.TYPED_LISTS:
            entry_name, key, kind = b.TYPED_LISTS[name]
            element = etree.SubElement(parent, name)
            for entry in value or []:
                item = self.leaf(element, entry_name, entry.get(key, ""))
                if entry.get("type"):
                    item.set("type", b.cbv_to_xml(kind, str(entry["type"]), self.style))
        elif name in ("readPoint", "bizLocation"):
            element = etree.SubElement(parent, name)
            self.leaf(element, "id", value.get("id", ""))
            self.extensions(element, value, {"id"}, ns)
        elif name == "persistentDisposition":
            element = etree.SubElement(parent, name)
            for part in ("unset", "set"):
                for item in value.get(part) or []:
                    self.leaf(element, part, b.cbv_to_xml("disposition", item, self.style))
        elif name == "errorDeclaration":
            self.error_declaration(parent, value, ns)
        elif name == "certificationInfo":
            for item in value if isinstance(value, list) else [value]:
                self.leaf(parent, name, item)
        elif name == "sensorElementList":
            element = etree.SubElement(parent, name)
            for entry in value or []:
                self.sensor_element(element, entry, ns)
        elif name == "ilmd":
            element = etree.SubElement(parent, name)
            self.extensions(element, value or {}, (), ns)

    def error_declaration(self, parent, value: Mapping, ns: Namespaces) -> None:
        element = etree.SubElement(parent, "errorDeclaration")
        if value.get("declarationTime") is not None:
            self.leaf(element, "declarationTime", value["declarationTime"])
        if value.get("reason"):
            self.leaf(element, "reason", b.cbv_to_xml("reason", str(value["reason"]), self.style))
        if value.get("correctiveEventIDs") is not None:
            ids = etree.SubElement(element, "correctiveEventIDs")
            for item in value["correctiveEventIDs"]:
                self.leaf(ids, "correctiveEventID", item)
        self.extensions(element, value, {"declarationTime", "reason", "correctiveEventIDs"}, ns)

    def sensor_element(self, parent, entry: Mapping, ns: Namespaces) -> None:
        element = etree.SubElement(parent, "sensorElement")
        if isinstance(entry.get("sensorMetadata"), Mapping):
            metadata = etree.SubElement(element, "sensorMetadata")
            self.attributes(metadata, entry["sensorMetadata"], b.SENSOR_METADATA, ns)
        for report in entry.get("sensorReport") or []:
            self.attributes(etree.SubElement(element, "sensorReport"), report, b.SENSOR_REPORT, ns)
        self.extensions(element, entry, {"sensorMetadata", "sensorReport"}, ns)

    # ---------------------------------------------------------------- events and documents

    def event(self, parent, event: Mapping, ns: Namespaces) -> None:
        kind = str(event.get("type", ""))
        order = b.EVENT_FIELDS.get(kind)
        if order is None:
            return
        own = _own_prefixes(event.get("@context")) if event.get("@context") else {}
        scope = parent.nsmap or {}
        nsmap = {p: iri for p, iri in own.items() if scope.get(p) != iri}
        ns = ns.with_context(event.get("@context"))
        element = etree.SubElement(parent, kind, nsmap=nsmap or None)
        required = b.REQUIRED_LISTS.get(kind, ())
        for name in order:
            if name in event and event[name] is not None:
                self.field(element, name, event[name], ns)
            elif name in required:
                etree.SubElement(element, name)
        for name in STANDARD_FIELDS:  # a standard field the XSD has not for this type
            if name in event and name not in order and name not in b.IGNORED_KEYS:
                self.field(element, name, event[name], ns)
        self.extensions(element, event, STANDARD_FIELDS, ns)

    def document(self, document: Mapping) -> etree._Element:
        ns = Namespaces(document.get("@context"))
        declared = {
            "gs1": vocab.GS1_VOC,
            "cbv": vocab.CBV,
            **_own_prefixes(document.get("@context")),
        }
        if document.get("type") == "EPCISQueryDocument":
            root = etree.Element(
                f"{{{b.QUERY_NS}}}EPCISQueryDocument", nsmap={"epcisq": b.QUERY_NS, **declared}
            )
            results = document.get("epcisBody", {}).get("queryResults", {})
            body = etree.SubElement(root, "EPCISBody")
            query = etree.SubElement(body, f"{{{b.QUERY_NS}}}QueryResults")
            self.leaf(query, "queryName", results.get("queryName", "SimpleEventQuery"))
            if results.get("subscriptionID"):
                self.leaf(query, "subscriptionID", results["subscriptionID"])
            events = results.get("resultsBody", {}).get("eventList", [])
            event_list = etree.SubElement(etree.SubElement(query, "resultsBody"), "EventList")
        else:
            root = etree.Element(
                f"{{{b.EPCIS_NS}}}EPCISDocument", nsmap={"epcis": b.EPCIS_NS, **declared}
            )
            body = etree.SubElement(root, "EPCISBody")
            events = document.get("epcisBody", {}).get("eventList", [])
            event_list = etree.SubElement(body, "EventList")
        root.set("schemaVersion", str(document.get("schemaVersion", "2.0")))
        if document.get("creationDate"):
            root.set("creationDate", str(document["creationDate"]))
        for event in events:
            self.event(event_list, event, ns)
        return root


def write(document: Mapping, style: str = b.URN) -> bytes:
    """An EPCISDocument or EPCISQueryDocument (the JSON-LD dict form) as XML bytes."""
    root = Writer(style).document(document)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
