"""CDISC ODM 1.3.2 study metadata from a protocol, and a validator against the official XSD.

Structure (CDISC ODM 1.3.2 specification, sections 3.1-3.2; element order as in ``ODM1-3-2-foundation.xsd``):

- ``ODM`` (FileType Snapshot, ODMVersion 1.3.2) > ``Study`` (OID = registry id) with ``GlobalVariables``
  (StudyName, StudyDescription, ProtocolName), ``BasicDefinitions`` (one ``MeasurementUnit`` per unit used)
  and one ``MetaDataVersion``;
- ``Protocol`` lists a ``StudyEventRef`` per visit of the schedule of assessments, in order;
- one ``StudyEventDef`` per visit (Type Scheduled, the study day and window in the description) with a
  ``FormRef`` per assessment; forms, item groups, items and code lists come from :mod:`mexards.reporting.crf`
  (data types, ``MeasurementUnitRef``, ``RangeCheck`` and ``CodeListRef``).

Clinical data (``ClinicalData`` elements built later from the services read models) are appended after
``Study`` by passing them to :func:`odm_document`; the document is validated as a whole.

The validator loads ``ODM1-3-2.xsd`` shipped by odmlib (``odmlib.schema_manager``) with
``lxml.etree.XMLSchema`` and reports each violation as ``line N: message`` without namespace noise, then
checks that every OID reference (StudyEventRef, FormRef, ItemGroupRef, ItemRef, CodeListRef,
MeasurementUnitRef) resolves, which the XSD does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]
from odmlib import schema_manager

from mexards import __version__
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Protocol, Visit
from mexards.reporting.crf import (
    CodeListSpec,
    FormSpec,
    ItemSpec,
    codelists_for,
    form_for,
    scheduled_assessments,
)

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NSMAP = {None: ODM_NS}


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ODM_NS}}}{tag}", {k: v for k, v in attrs.items() if v != ""})


def _translated(parent: etree._Element, tag: str, text: str) -> etree._Element:
    holder = _el(parent, tag)
    translated = _el(holder, "TranslatedText")
    translated.set(XML_LANG, "en")
    translated.text = text
    return holder


def _oid_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def unit_oid(unit: str) -> str:
    """The OID of a measurement unit (``MU.`` + the unit with unsafe characters replaced)."""
    return "MU." + _oid_part(unit.replace("/", "_per_").replace("%", "percent").replace("^", "e"))


def _visit_description(visit: Visit) -> str:
    window = ""
    if visit.window_before_days or visit.window_after_days:
        window = f", window -{visit.window_before_days}/+{visit.window_after_days} days"
    return f"{visit.label} (study day {visit.day}{window})"


def _unique_forms(protocol: Protocol) -> dict[str, FormSpec]:
    """Assessment name -> form, with form keys made unique (a suffix where two names share a key)."""
    forms: dict[str, FormSpec] = {}
    used: set[str] = set()
    for assessment in scheduled_assessments(protocol):
        form = form_for(protocol, assessment)
        key, n = form.key, 2
        while key in used:
            key, n = f"{form.key}{n}", n + 1
        used.add(key)
        forms[assessment] = FormSpec(key, form.name, form.groups)
    return forms


def _item_def(mdv: etree._Element, oid: str, item: ItemSpec) -> None:
    attrs = {"OID": oid, "Name": item.question[:200], "DataType": item.data_type}
    if item.length is not None:
        attrs["Length"] = str(item.length)
    node = _el(mdv, "ItemDef", **attrs)
    _translated(node, "Question", item.question)
    if item.unit:
        _el(node, "MeasurementUnitRef", MeasurementUnitOID=unit_oid(item.unit))
    for check in item.ranges:
        range_check = _el(node, "RangeCheck", Comparator=check.comparator, SoftHard=check.soft_hard)
        _el(range_check, "CheckValue").text = format(check.value, "f")
        _translated(range_check, "ErrorMessage", check.message)
    if item.codelist:
        _el(node, "CodeListRef", CodeListOID=f"CL.{item.codelist}")


def _code_list(mdv: etree._Element, spec: CodeListSpec) -> None:
    node = _el(mdv, "CodeList", OID=f"CL.{spec.key}", Name=spec.name, DataType=spec.data_type)
    for order, (coded, decode) in enumerate(spec.items, start=1):
        item = _el(node, "CodeListItem", CodedValue=coded, OrderNumber=str(order))
        _translated(item, "Decode", decode)


def study_element(protocol: Protocol) -> etree._Element:
    """The ODM ``Study`` element (global variables, units and the metadata version) for ``protocol``."""
    ident = protocol.identification
    study = etree.Element(f"{{{ODM_NS}}}Study", {"OID": ident.registry_id}, nsmap=_NSMAP)
    variables = _el(study, "GlobalVariables")
    _el(variables, "StudyName").text = ident.acronym or ident.registry_id
    _el(variables, "StudyDescription").text = ident.official_title or ident.brief_title
    _el(variables, "ProtocolName").text = ident.registry_id

    forms = _unique_forms(protocol)
    units = sorted({item.unit for form in forms.values() for group in form.groups for item in group.items
                    if item.unit})
    basic = _el(study, "BasicDefinitions")
    for unit in units:
        _translated(_el(basic, "MeasurementUnit", OID=unit_oid(unit), Name=unit), "Symbol", unit)

    mdv = _el(study, "MetaDataVersion", OID=f"MDV.{ident.registry_id}.1",
              Name=f"{ident.registry_id} protocol metadata", Description="Derived from the protocol file")
    odm_protocol = _el(mdv, "Protocol")
    _translated(odm_protocol, "Description", ident.brief_title)
    visits = protocol.schedule.visits if protocol.schedule else ()
    for order, visit in enumerate(visits, start=1):
        _el(odm_protocol, "StudyEventRef", StudyEventOID=f"SE.{_oid_part(visit.id)}", OrderNumber=str(order),
            Mandatory="Yes")
    for visit in visits:
        event = _el(mdv, "StudyEventDef", OID=f"SE.{_oid_part(visit.id)}", Name=visit.label[:200],
                    Repeating="No", Type="Scheduled")
        _translated(event, "Description", _visit_description(visit))
        for order, assessment in enumerate(dict.fromkeys(visit.assessments), start=1):
            _el(event, "FormRef", FormOID=f"F.{forms[assessment].key}", OrderNumber=str(order),
                Mandatory="Yes")
    for form in forms.values():
        node = _el(mdv, "FormDef", OID=f"F.{form.key}", Name=form.name, Repeating="No")
        for order, group in enumerate(form.groups, start=1):
            _el(node, "ItemGroupRef", ItemGroupOID=f"IG.{form.key}.{group.key}", OrderNumber=str(order),
                Mandatory="Yes")
    for form in forms.values():
        for group in form.groups:
            node = _el(mdv, "ItemGroupDef", OID=f"IG.{form.key}.{group.key}", Name=group.name,
                       Repeating="Yes" if group.repeating else "No")
            for order, item in enumerate(group.items, start=1):
                _el(node, "ItemRef", ItemOID=f"IT.{form.key}.{group.key}.{item.key}", OrderNumber=str(order),
                    Mandatory="Yes" if item.mandatory else "No")
    for form in forms.values():
        for group in form.groups:
            for item in group.items:
                _item_def(mdv, f"IT.{form.key}.{group.key}.{item.key}", item)
    used_codelists = {item.codelist for form in forms.values() for group in form.groups
                      for item in group.items}
    for spec in codelists_for(protocol):
        if spec.key in used_codelists:
            _code_list(mdv, spec)
    return study


def odm_document(
    protocol: Protocol,
    *,
    created_at: datetime | None = None,
    clinical_data: Iterable[etree._Element] = (),
) -> bytes:
    """The ODM 1.3.2 XML document (UTF-8 bytes) of ``protocol``'s metadata, plus any ``ClinicalData``
    elements given. ``created_at`` (tz-aware; default now, UTC) fills ``CreationDateTime``."""
    when = created_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValidationError("created_at", "must be timezone-aware", when)
    registry_id = protocol.identification.registry_id
    root = etree.Element(f"{{{ODM_NS}}}ODM", {
        "FileType": "Snapshot",
        "FileOID": f"{registry_id}.metadata",
        "CreationDateTime": when.isoformat(timespec="seconds"),
        "ODMVersion": "1.3.2",
        "Granularity": "Metadata" if not clinical_data else "All",
        "Originator": protocol.identification.sponsor.name,
        "SourceSystem": "mexards",
        "SourceSystemVersion": __version__,
    }, nsmap=_NSMAP)
    root.append(study_element(protocol))
    for element in clinical_data:
        root.append(element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@cache
def odm_schema() -> etree.XMLSchema:
    """The official ODM 1.3.2 XML schema (``ODM1-3-2.xsd`` from odmlib), compiled once."""
    path = Path(schema_manager.get_schema_path("odm", "1.3.2"))
    return etree.XMLSchema(etree.parse(str(path)))


def _readable(message: str) -> str:
    return message.replace(f"{{{ODM_NS}}}", "")


_REFERENCES = (
    ("StudyEventRef", "StudyEventOID", "StudyEventDef"),
    ("FormRef", "FormOID", "FormDef"),
    ("ItemGroupRef", "ItemGroupOID", "ItemGroupDef"),
    ("ItemRef", "ItemOID", "ItemDef"),
    ("CodeListRef", "CodeListOID", "CodeList"),
    ("MeasurementUnitRef", "MeasurementUnitOID", "MeasurementUnit"),
)


def _reference_errors(tree: etree._ElementTree) -> list[str]:
    errors: list[str] = []
    for ref_tag, attribute, def_tag in _REFERENCES:
        defined = {node.get("OID") for node in tree.iter(f"{{{ODM_NS}}}{def_tag}")}
        for node in tree.iter(f"{{{ODM_NS}}}{ref_tag}"):
            if node.get(attribute) not in defined:
                errors.append(f"line {node.sourceline}: {ref_tag} {attribute}='{node.get(attribute)}' "
                              f"refers to no {def_tag}")
    return errors


def odm_errors(document: bytes | str | Path) -> list[str]:
    """Readable errors of an ODM 1.3.2 document against the official XSD, then unresolved OID references.

    ``document`` is the XML itself (bytes) or a path. An empty list means the document is valid."""
    try:
        if isinstance(document, bytes):
            tree = etree.ElementTree(etree.fromstring(document))
        else:
            tree = etree.parse(str(document))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = odm_schema()
    if not schema.validate(tree):
        return [f"line {e.line}: {_readable(e.message)}" for e in schema.error_log]
    return _reference_errors(tree)


def ensure_valid_odm(document: bytes | str | Path) -> None:
    """Raise ``ValidationErrors`` (field ``odm``) listing every problem :func:`odm_errors` finds."""
    errors = odm_errors(document)
    if errors:
        raise ValidationErrors([ValidationError("odm", message) for message in errors])
