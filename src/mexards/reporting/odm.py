"""CDISC ODM 1.3.2 study metadata from a protocol, and a validator against the official XSD.

Structure (CDISC ODM 1.3.2 specification, sections 3.1-3.2; element order as in ``ODM1-3-2-foundation.xsd``):

- ``ODM`` (FileType Snapshot, ODMVersion 1.3.2) > ``Study`` (OID = registry id) with ``GlobalVariables``
  (StudyName, StudyDescription, ProtocolName), ``BasicDefinitions`` (one ``MeasurementUnit`` per unit used)
  and one ``MetaDataVersion``;
- ``Protocol`` lists a ``StudyEventRef`` per visit of the schedule of assessments, in order;
- one ``StudyEventDef`` per visit (Type Scheduled, the study day and window in the description) with a
  ``FormRef`` per assessment; forms, item groups, items and code lists come from :mod:`mexards.reporting.crf`
  (data types, ``MeasurementUnitRef``, ``RangeCheck`` and ``CodeListRef``).

Clinical data (:mod:`mexards.reporting.odm_clinical`) come as a :class:`ClinicalPart`: a metadata extension
(the forms as collected, their code lists, extra study events and the forms each visit holds), the
``AdminData`` (users and locations the audit records name) and the ``ClinicalData``; they are placed in the
order of the ``ODM`` element (Study, AdminData, ClinicalData) and the document is validated as a whole.

The validator loads ``ODM1-3-2.xsd`` shipped by odmlib (``odmlib.schema_manager``) with
``lxml.etree.XMLSchema`` and reports each violation as ``line N: message`` without namespace noise, then
checks that every OID reference (StudyEventRef, FormRef, ItemGroupRef, ItemRef, CodeListRef,
MeasurementUnitRef) resolves, which the XSD does not; in clinical data, that each study event, form, item group
and item is one its parent's definition refers to, and that user and location references resolve to AdminData.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class StudyEventSpec:
    """A study event outside the schedule: ``key`` (OID ``SE.<key>``), name, ODM type and its forms' keys."""

    key: str
    name: str
    kind: str
    form_keys: tuple[str, ...]


@dataclass(frozen=True)
class MetadataExtension:
    """What clinical data add to the metadata version: forms, code lists, events, and forms per visit."""

    forms: tuple[FormSpec, ...] = ()
    codelists: tuple[CodeListSpec, ...] = ()
    events: tuple[StudyEventSpec, ...] = ()
    visit_forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Visit id -> keys of extension forms that visit holds (FormRefs added to its StudyEventDef)."""


@dataclass(frozen=True)
class ClinicalPart:
    """Clinical data for :func:`odm_document`: the metadata extension, AdminData and ClinicalData."""

    extension: MetadataExtension
    admin_data: etree._Element
    clinical_data: etree._Element


def metadata_version_oid(protocol: Protocol) -> str:
    return f"MDV.{protocol.identification.registry_id}.1"


def event_oid(key: str) -> str:
    return f"SE.{_oid_part(key)}"


def study_element(protocol: Protocol, extension: MetadataExtension | None = None) -> etree._Element:
    """The ODM ``Study`` element (global variables, units and the metadata version) for ``protocol``, with the
    forms and events of ``extension`` when clinical data follow."""
    extension = extension or MetadataExtension()
    ident = protocol.identification
    study = etree.Element(f"{{{ODM_NS}}}Study", {"OID": ident.registry_id}, nsmap=_NSMAP)
    variables = _el(study, "GlobalVariables")
    _el(variables, "StudyName").text = ident.acronym or ident.registry_id
    _el(variables, "StudyDescription").text = ident.official_title or ident.brief_title
    _el(variables, "ProtocolName").text = ident.registry_id

    forms = _unique_forms(protocol)
    all_forms = [*forms.values(), *extension.forms]
    units = sorted({item.unit for form in all_forms for group in form.groups for item in group.items
                    if item.unit})
    basic = _el(study, "BasicDefinitions")
    for unit in units:
        _translated(_el(basic, "MeasurementUnit", OID=unit_oid(unit), Name=unit), "Symbol", unit)

    mdv = _el(study, "MetaDataVersion", OID=metadata_version_oid(protocol),
              Name=f"{ident.registry_id} protocol metadata", Description="Derived from the protocol file")
    odm_protocol = _el(mdv, "Protocol")
    _translated(odm_protocol, "Description", ident.brief_title)
    visits = protocol.schedule.visits if protocol.schedule else ()
    for order, visit in enumerate(visits, start=1):
        _el(odm_protocol, "StudyEventRef", StudyEventOID=event_oid(visit.id), OrderNumber=str(order),
            Mandatory="Yes")
    for order, extra in enumerate(extension.events, start=len(visits) + 1):
        _el(odm_protocol, "StudyEventRef", StudyEventOID=event_oid(extra.key), OrderNumber=str(order),
            Mandatory="No")
    for visit in visits:
        event = _el(mdv, "StudyEventDef", OID=event_oid(visit.id), Name=visit.label[:200],
                    Repeating="No", Type="Scheduled")
        _translated(event, "Description", _visit_description(visit))
        keys = [forms[a].key for a in dict.fromkeys(visit.assessments)]
        extra_keys = [k for k in extension.visit_forms.get(visit.id, ()) if k not in keys]
        for order, key in enumerate([*keys, *extra_keys], start=1):
            _el(event, "FormRef", FormOID=f"F.{key}", OrderNumber=str(order),
                Mandatory="Yes" if order <= len(keys) else "No")
    for extra in extension.events:
        event = _el(mdv, "StudyEventDef", OID=event_oid(extra.key), Name=extra.name[:200], Repeating="No",
                    Type=extra.kind)
        for order, key in enumerate(extra.form_keys, start=1):
            _el(event, "FormRef", FormOID=f"F.{key}", OrderNumber=str(order), Mandatory="No")
    for form in all_forms:
        node = _el(mdv, "FormDef", OID=f"F.{form.key}", Name=form.name, Repeating="No")
        for order, group in enumerate(form.groups, start=1):
            _el(node, "ItemGroupRef", ItemGroupOID=f"IG.{form.key}.{group.key}", OrderNumber=str(order),
                Mandatory="Yes")
    for form in all_forms:
        for group in form.groups:
            node = _el(mdv, "ItemGroupDef", OID=f"IG.{form.key}.{group.key}", Name=group.name,
                       Repeating="Yes" if group.repeating else "No")
            for order, item in enumerate(group.items, start=1):
                _el(node, "ItemRef", ItemOID=f"IT.{form.key}.{group.key}.{item.key}", OrderNumber=str(order),
                    Mandatory="Yes" if item.mandatory else "No")
    for form in all_forms:
        for group in form.groups:
            for item in group.items:
                _item_def(mdv, f"IT.{form.key}.{group.key}.{item.key}", item)
    used_codelists = {item.codelist for form in all_forms for group in form.groups for item in group.items}
    for spec in (*codelists_for(protocol), *extension.codelists):
        if spec.key in used_codelists:
            _code_list(mdv, spec)
    return study


def odm_tree(
    protocol: Protocol,
    *,
    created_at: datetime | None = None,
    clinical: ClinicalPart | None = None,
) -> etree._Element:
    """The ``ODM`` root element: ``protocol``'s metadata, plus the clinical data when given."""
    when = created_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValidationError("created_at", "must be timezone-aware", when)
    registry_id = protocol.identification.registry_id
    root = etree.Element(f"{{{ODM_NS}}}ODM", {
        "FileType": "Snapshot",
        "FileOID": f"{registry_id}.{'metadata' if clinical is None else 'snapshot'}",
        "CreationDateTime": when.isoformat(timespec="seconds"),
        "ODMVersion": "1.3.2",
        "Granularity": "Metadata" if clinical is None else "All",
        "Originator": protocol.identification.sponsor.name,
        "SourceSystem": "mexards",
        "SourceSystemVersion": __version__,
    }, nsmap=_NSMAP)
    root.append(study_element(protocol, clinical.extension if clinical else None))
    if clinical is not None:
        root.append(clinical.admin_data)
        root.append(clinical.clinical_data)
    return root


def serialised(root: etree._Element) -> bytes:
    """The UTF-8 XML document of an ODM tree."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def odm_document(
    protocol: Protocol,
    *,
    created_at: datetime | None = None,
    clinical: ClinicalPart | None = None,
) -> bytes:
    """The ODM 1.3.2 XML document (UTF-8 bytes) of ``protocol``'s metadata, plus the clinical data when given.
    ``created_at`` (tz-aware; default now, UTC) fills ``CreationDateTime``."""
    return serialised(odm_tree(protocol, created_at=created_at, clinical=clinical))


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


def _q(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _reference_errors(tree: etree._ElementTree) -> list[str]:
    errors: list[str] = []
    metadata = _parts(tree, "Study")
    for ref_tag, attribute, def_tag in _REFERENCES:
        defined = {node.get("OID") for study in metadata for node in study.iter(_q(def_tag))}
        for node in (node for study in metadata for node in study.iter(_q(ref_tag))):
            if node.get(attribute) not in defined:
                errors.append(f"line {node.sourceline}: {ref_tag} {attribute}='{node.get(attribute)}' "
                              f"refers to no {def_tag}")
    return errors + _clinical_reference_errors(tree)


def _children_refs(parts: list[etree._Element], def_tag: str, ref_tag: str, attribute: str) -> dict[str, set[str]]:
    return {str(node.get("OID")): {str(r.get(attribute)) for r in node.iter(_q(ref_tag))}
            for part in parts for node in part.iter(_q(def_tag))}


def _parts(tree: etree._ElementTree, tag: str) -> list[etree._Element]:
    """The top-level ``tag`` elements of a document (the whole tree if its root is not ``ODM``)."""
    root = tree.getroot()
    return [root] if root.tag != _q("ODM") else [node for node in root if node.tag == _q(tag)]


_DATA_LEVELS = {
    _q("StudyEventData"): ("StudyEventOID", "StudyEventDef", "FormRef", "FormOID", _q("FormData")),
    _q("FormData"): ("FormOID", "FormDef", "ItemGroupRef", "ItemGroupOID", _q("ItemGroupData")),
    _q("ItemGroupData"): ("ItemGroupOID", "ItemGroupDef", "ItemRef", "ItemOID", _q("ItemData")),
}
"""Data element -> (its OID attribute, its definition, the definition's refs, the child OID attribute, the child
element): each child must be one the parent's definition refers to."""


def _clinical_reference_errors(tree: etree._ElementTree) -> list[str]:
    """Clinical data must use the metadata's structure, and audit and site references must resolve."""
    errors: list[str] = []
    metadata, clinical, admin_data = _parts(tree, "Study"), _parts(tree, "ClinicalData"), _parts(tree, "AdminData")
    if not clinical or clinical[0].tag != _q("ClinicalData"):
        return errors
    versions = {node.get("OID") for study in metadata for node in study.iter(_q("MetaDataVersion"))}
    for node in clinical:
        if node.get("MetaDataVersionOID") not in versions:
            errors.append(f"line {node.sourceline}: ClinicalData MetaDataVersionOID='"
                          f"{node.get('MetaDataVersionOID')}' refers to no MetaDataVersion")
    events = {node.get("OID") for study in metadata for node in study.iter(_q("StudyEventDef"))}
    allowed = {tag: _children_refs(metadata, definition, ref, attribute)
               for tag, (_, definition, ref, attribute, _) in _DATA_LEVELS.items()}
    admin = {tag: {node.get("OID") for part in admin_data for node in part.iter(_q(tag))}
             for tag in ("User", "Location")}
    refs = {_q("UserRef"): ("UserOID", "User"), _q("LocationRef"): ("LocationOID", "Location"),
            _q("SiteRef"): ("LocationOID", "Location")}
    for node in (node for data in clinical for node in data.iter(*_DATA_LEVELS, *refs)):
        if node.tag in refs:
            attribute, def_tag = refs[node.tag]
            if node.get(attribute) not in admin[def_tag]:
                errors.append(f"line {node.sourceline}: {etree.QName(node).localname} {attribute}="
                              f"'{node.get(attribute)}' refers to no {def_tag}")
            continue
        own, definition, _, child_attribute, child_tag = _DATA_LEVELS[node.tag]
        if node.tag == _q("StudyEventData") and node.get(own) not in events:
            errors.append(f"line {node.sourceline}: StudyEventData StudyEventOID='{node.get(own)}' refers to no "
                          "StudyEventDef")
        permitted = allowed[node.tag].get(str(node.get(own)), set())
        for child in node.iterchildren(child_tag):
            if child.get(child_attribute) not in permitted:
                errors.append(f"line {child.sourceline}: {etree.QName(child_tag).localname} {child_attribute}="
                              f"'{child.get(child_attribute)}' is not part of {definition} {node.get(own)}")
    return errors


def tree_errors(root: etree._Element) -> list[str]:
    """Problems of an in-memory ODM tree (the checks of :func:`odm_errors`, without line numbers): a quick
    first check before the document is written."""
    tree = etree.ElementTree(root)
    schema = odm_schema()
    if not schema.validate(tree):
        return [_readable(e.message) for e in schema.error_log]
    return _reference_errors(tree)


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
