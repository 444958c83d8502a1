"""ODM 1.3.2 metadata export and the XSD validator."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from mexards.domain.adverse_event import Relatedness
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.odm import (
    ODM_NS,
    ClinicalPart,
    MetadataExtension,
    ensure_valid_odm,
    odm_document,
    odm_errors,
    study_element,
)

NS = {"odm": ODM_NS}


def _tree(document: bytes) -> etree._Element:
    return etree.fromstring(document)


def test_every_built_in_protocol_exports_a_document_the_official_xsd_accepts(
    protocol: Protocol, exported_at: datetime
) -> None:
    document = odm_document(protocol, created_at=exported_at)
    assert odm_errors(document) == []
    ensure_valid_odm(document)


def test_the_protocol_lists_one_study_event_per_visit_in_schedule_order(protocol: Protocol) -> None:
    root = _tree(odm_document(protocol))
    refs = root.findall(".//odm:Protocol/odm:StudyEventRef", NS)
    assert protocol.schedule is not None
    assert [r.get("StudyEventOID") for r in refs] == [f"SE.{v.id}" for v in protocol.schedule.visits]
    assert [int(r.get("OrderNumber")) for r in refs] == list(range(1, len(refs) + 1))
    names = [e.get("Name") for e in root.findall(".//odm:StudyEventDef", NS)]
    assert names == [v.label for v in protocol.schedule.visits]


def test_each_visit_references_a_form_for_each_of_its_assessments(mexards: Protocol) -> None:
    root = _tree(odm_document(mexards))
    day_fourteen = root.find(".//odm:StudyEventDef[@OID='SE.d14']", NS)
    forms = [ref.get("FormOID") for ref in day_fourteen.findall("odm:FormRef", NS)]
    assert forms == ["F.VENT", "F.ABG", "F.MURRAY", "F.SOFA", "F.LAB", "F.BIOMARK", "F.AE", "F.CM", "F.SURV"]
    description = day_fourteen.find("odm:Description/odm:TranslatedText", NS).text
    assert "study day 14" in description and "-1/+1 days" in description


def test_items_carry_units_range_checks_and_code_lists(mexards: Protocol) -> None:
    root = _tree(odm_document(mexards))
    fio2 = root.find(".//odm:ItemDef[@OID='IT.ABG.ABG.FIO2']", NS)
    checks = {
        (c.get("Comparator"), c.find("odm:CheckValue", NS).text, c.get("SoftHard"))
        for c in fio2.findall("odm:RangeCheck", NS)
    }
    assert checks == {("GE", "0.21", "Hard"), ("LE", "1.0", "Hard")}
    pao2 = root.find(".//odm:ItemDef[@OID='IT.ABG.ABG.PAO2']", NS)
    assert pao2.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID") == "MU.mmHg"
    assert root.find(".//odm:MeasurementUnit[@OID='MU.mmHg']", NS).get("Name") == "mmHg"
    grade = root.find(".//odm:ItemDef[@OID='IT.AE.AE.GRADE']", NS)
    assert grade.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.CTCAE_GRADE"
    ctcae = root.find(".//odm:CodeList[@OID='CL.CTCAE_GRADE']", NS)
    assert [i.get("CodedValue") for i in ctcae.findall("odm:CodeListItem", NS)] == ["1", "2", "3", "4", "5"]


def test_code_lists_cover_berlin_category_relatedness_and_the_protocol_strata(mexards: Protocol) -> None:
    root = _tree(odm_document(mexards))

    def coded(oid: str) -> list[str]:
        node = root.find(f".//odm:CodeList[@OID='{oid}']", NS)
        return [i.get("CodedValue") for i in node.findall("odm:CodeListItem", NS)]

    assert {"MILD", "MODERATE", "SEVERE"} <= set(coded("CL.BERLIN_CATEGORY"))
    assert coded("CL.RELATEDNESS") == [r.value for r in Relatedness]
    assert coded("CL.STRATUM_BERLIN_SEVERITY") == ["MILD", "MODERATE", "SEVERE"]


def test_the_eligibility_form_has_one_item_per_registered_criterion(protocol: Protocol) -> None:
    root = _tree(odm_document(protocol))
    inclusion = root.findall(".//odm:ItemGroupDef[@OID='IG.ELIG.INCL']/odm:ItemRef", NS)
    exclusion = root.findall(".//odm:ItemGroupDef[@OID='IG.ELIG.EXCL']/odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in inclusion] == [
        f"IT.ELIG.INCL.{c.id}" for c in protocol.eligibility.inclusion
    ]
    assert [r.get("ItemOID") for r in exclusion] == [
        f"IT.ELIG.EXCL.{c.id}" for c in protocol.eligibility.exclusion
    ]


def test_the_randomisation_form_records_strata_but_never_the_arm(mexards: Protocol) -> None:
    root = _tree(odm_document(mexards))
    group = root.find(".//odm:ItemGroupDef[@OID='IG.RAND.RAND']", NS)
    items = [r.get("ItemOID") for r in group.findall("odm:ItemRef", NS)]
    assert "IT.RAND.RAND.BERLIN_S" in items
    assert not any("ARM" in item for item in items)


def test_the_age_item_has_soft_checks_from_the_registry_age_limits(mexards: Protocol) -> None:
    root = _tree(odm_document(mexards))
    age = root.find(".//odm:ItemDef[@OID='IT.DEMOG.DEMOG.AGE']", NS)
    checks = {
        (c.get("Comparator"), c.find("odm:CheckValue", NS).text, c.get("SoftHard"))
        for c in age.findall("odm:RangeCheck", NS)
    }
    assert checks == {("GE", "18", "Soft"), ("LE", "70", "Soft")}


def test_an_assessment_not_in_the_catalogue_still_gets_a_valid_form(mexards: Protocol) -> None:
    assert mexards.schedule is not None
    visit = dataclasses.replace(mexards.schedule.visits[1], assessments=("lung_ultrasound",))
    schedule = dataclasses.replace(mexards.schedule, visits=(visit,))
    document = odm_document(dataclasses.replace(mexards, schedule=schedule))
    assert odm_errors(document) == []
    root = _tree(document)
    assert root.find(".//odm:FormDef", NS).get("Name") == "Lung ultrasound"


def test_protocol_text_is_escaped_not_parsed_as_markup(mexards: Protocol) -> None:
    ident = dataclasses.replace(mexards.identification, brief_title="ARDS <b>& co</b>", acronym="A&B")
    document = odm_document(dataclasses.replace(mexards, identification=ident))
    assert odm_errors(document) == []
    assert _tree(document).find(".//odm:StudyName", NS).text == "A&B"


def test_clinical_data_elements_are_placed_after_the_study_and_validated_with_the_document(
    mexards: Protocol,
) -> None:
    clinical = etree.Element(
        f"{{{ODM_NS}}}ClinicalData", StudyOID="NCT04602104", MetaDataVersionOID="MDV.NCT04602104.1"
    )
    etree.SubElement(clinical, f"{{{ODM_NS}}}SubjectData", SubjectKey="001")
    admin = etree.Element(f"{{{ODM_NS}}}AdminData")
    document = odm_document(mexards, clinical=ClinicalPart(MetadataExtension(), admin, clinical))
    assert odm_errors(document) == []
    root = _tree(document)
    assert root.get("Granularity") == "All"
    assert [etree.QName(child).localname for child in root] == ["Study", "AdminData", "ClinicalData"]
    misplaced = etree.Element(f"{{{ODM_NS}}}ClinicalData", StudyOID="X", MetaDataVersionOID="Y")
    etree.SubElement(misplaced, f"{{{ODM_NS}}}Bogus")
    assert odm_errors(odm_document(mexards, clinical=ClinicalPart(MetadataExtension(), admin, misplaced)))


def test_a_naive_export_time_is_refused(mexards: Protocol) -> None:
    with pytest.raises(ValidationError) as caught:
        odm_document(mexards, created_at=datetime(2024, 1, 1))
    assert caught.value.field == "created_at"


def test_the_validator_reports_broken_oid_references_the_xsd_does_not_catch(mexards: Protocol) -> None:
    study = study_element(mexards)
    ref = study.find(".//odm:FormRef", NS)
    ref.set("FormOID", "F.MISSING")
    root = etree.Element(
        f"{{{ODM_NS}}}ODM",
        FileType="Snapshot",
        FileOID="x",
        CreationDateTime="2024-01-01T00:00:00+00:00",
        ODMVersion="1.3.2",
    )
    root.append(study)
    errors = odm_errors(etree.tostring(root))
    assert len(errors) == 1 and "FormRef FormOID='F.MISSING' refers to no FormDef" in errors[0]


def test_malformed_xml_and_files_are_reported_readably(tmp_path: Path, mexards: Protocol) -> None:
    assert odm_errors(b"<ODM>")[0].startswith("not well-formed XML")
    path = tmp_path / "metadata.xml"
    path.write_bytes(odm_document(mexards))
    assert odm_errors(path) == []
    with pytest.raises(ValidationErrors) as caught:
        ensure_valid_odm(b"<ODM xmlns='http://www.cdisc.org/ns/odm/v1.3'/>")
    assert caught.value.field == "odm"
