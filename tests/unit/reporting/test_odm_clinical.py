"""ODM 1.3.2 clinical data of a simulated trial: valid against the official XSD in the right element order,
every CRF record present with its audit record, and blinding."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from lxml import etree

from mexards.reporting.odm import ODM_NS, odm_document, odm_errors
from mexards.reporting.odm_clinical import clinical_part
from mexards.reporting.sdtm_finding import arm_words
from mexards.services.results import clinical_records
from tests.unit.reporting.conftest import clinical_trial
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN
from tests.unit.services.test_results import SimulatedTrial

NS = {"odm": ODM_NS}


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    return clinical_trial(seed=29)


@pytest.fixture(scope="module")
def masked(sim: SimulatedTrial) -> bytes:
    return odm_document(PROTOCOL, clinical=clinical_part(PROTOCOL, clinical_records(sim.uow, STATISTICIAN, PROTOCOL)))


@pytest.fixture(scope="module")
def unblinded(sim: SimulatedTrial) -> bytes:
    records = clinical_records(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, unblinded=True)
    return odm_document(PROTOCOL, clinical=clinical_part(PROTOCOL, records))


def _root(document: bytes) -> etree._Element:
    return etree.fromstring(document)


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


@pytest.mark.parametrize("variant", ["masked", "unblinded"])
def test_the_document_with_clinical_data_is_valid_against_the_xsd_and_its_references(
    variant: str, request: pytest.FixtureRequest
) -> None:
    document = request.getfixturevalue(variant)
    assert odm_errors(document) == []
    root = _root(document)
    assert root.get("Granularity") == "All"
    assert [_local(child) for child in root] == ["Study", "AdminData", "ClinicalData"]


def test_subject_data_puts_the_site_before_the_events_and_audit_records_first(masked: bytes) -> None:
    for subject in _root(masked).iterfind(".//odm:SubjectData", NS):
        names = [_local(child) for child in subject]
        assert names[0] == "SiteRef" and set(names[1:]) == {"StudyEventData"}
    for form in _root(masked).iterfind(".//odm:FormData", NS):
        children = [_local(child) for child in form]
        assert "AuditRecord" not in children[1:]


def test_every_crf_record_is_a_form_with_its_values_and_who_entered_it(sim: SimulatedTrial, masked: bytes) -> None:
    root = _root(masked)
    with sim.uow as u:
        records = u.crf_records.list()
    sources = {node.text for node in root.iterfind(".//odm:AuditRecord/odm:SourceID", NS)}
    assert sources == {f"{r.record_id} version {r.version}" for r in records}
    record = next(r for r in records if r.form_id == "blood_gas")
    form = next(node.getparent() for node in root.iterfind(".//odm:SourceID", NS)
                if node.text == f"{record.record_id} version {record.version}").getparent()
    assert form.getparent().get("StudyEventOID") == f"SE.{record.visit_code}"
    values = {item.get("ItemOID").rsplit(".", 1)[1]: item.get("Value")
              for item in form.iterfind(".//odm:ItemData", NS)}
    assert values["pao2_mmhg"] == record.values["pao2_mmhg"]
    assert values["pf_ratio"] == str(record.derived["pf_ratio"])


def test_a_change_after_first_entry_carries_who_when_and_why(sim: SimulatedTrial, masked: bytes) -> None:
    with sim.uow as u:
        changed = [r for r in u.crf_records.list() if r.version > 1]
    assert changed
    root = _root(masked)
    for record in changed:
        (source,) = [n for n in root.iterfind(".//odm:SourceID", NS)
                     if n.text == f"{record.record_id} version {record.version}"]
        audit = source.getparent()
        assert audit.find("odm:ReasonForChange", NS).text == record.change_reason
        assert audit.find("odm:UserRef", NS).get("UserOID") == f"USR.{record.changed_by}"
        assert audit.find("odm:DateTimeStamp", NS).text == record.changed_at.isoformat(timespec="seconds")
    users = {u.get("OID") for u in root.iterfind(".//odm:AdminData/odm:User", NS)}
    assert {f"USR.{r.changed_by}" for r in changed} <= users


def test_the_masked_document_names_no_arm_and_gives_no_phase_2_dose(sim: SimulatedTrial, masked: bytes) -> None:
    text = masked.decode()
    clinical = etree.tostring(_root(masked).find("odm:ClinicalData", NS), encoding="unicode")
    assert not any(word in clinical for word in arm_words(PROTOCOL))
    assert "IT.SUBJECT.STATUS.ARM" not in text
    phase2 = {str(p) for p in sim.phase2}
    for subject in _root(masked).iterfind(".//odm:SubjectData", NS):
        if subject.get("SubjectKey") in phase2:
            assert subject.find(".//odm:ItemData[@ItemOID='IT.CRF.dosing_log.VALUES.dose_particles']", NS) is None


def test_the_unblinded_document_gives_each_randomised_participant_their_arm(
    sim: SimulatedTrial, unblinded: bytes
) -> None:
    records = clinical_records(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, unblinded=True)
    root = _root(unblinded)
    for pid, arm in records.phase2_arm.items():
        subject = root.find(f".//odm:SubjectData[@SubjectKey='{pid}']", NS)
        assert subject.find(".//odm:ItemData[@ItemOID='IT.SUBJECT.STATUS.ARM']", NS).get("Value") == arm


def test_an_audit_record_after_the_events_is_rejected_as_in_the_openedc_fixture(masked: bytes) -> None:
    root = _root(masked)
    subject = root.find(".//odm:SubjectData", NS)
    audit = copy.deepcopy(root.find(".//odm:FormData/odm:AuditRecord", NS))
    subject.append(audit)
    errors = odm_errors(etree.tostring(root))
    assert errors and "AuditRecord': This element is not expected" in errors[0]


def test_an_item_outside_its_group_definition_and_an_unknown_user_are_found(masked: bytes) -> None:
    root = _root(masked)
    item = root.find(".//odm:ItemGroupData[@ItemGroupOID='IG.CRF.blood_gas.VALUES']/odm:ItemData", NS)
    item.set("ItemOID", "IT.CRF.sofa.VALUES.gcs")
    root.find(".//odm:UserRef", NS).set("UserOID", "USR.nobody")
    errors = odm_errors(etree.tostring(root))
    assert any("is not part of ItemGroupDef IG.CRF.blood_gas.VALUES" in e for e in errors)
    assert any("UserOID='USR.nobody' refers to no User" in e for e in errors)


def test_values_with_markup_quotes_line_breaks_and_control_characters_survive_as_text(sim: SimulatedTrial) -> None:
    records = clinical_records(sim.uow, STATISTICIAN, PROTOCOL)
    record = next(r for r in records.crf_records if r.form_id == "end_of_study")
    reason = 'Moved <home> & "well"\nsecond line\x07'
    changed = type(record)(**{**record.__dict__, "values": {**record.values, "reason": reason}})
    crfs = tuple(changed if r is record else r for r in records.crf_records)
    document = odm_document(PROTOCOL, clinical=clinical_part(PROTOCOL, replace(records, crf_records=crfs)))
    assert odm_errors(document) == []
    item = _root(document).find(".//odm:ItemData[@ItemOID='IT.CRF.end_of_study.VALUES.reason']", NS)
    assert item.get("Value") == reason.replace("\x07", "")
