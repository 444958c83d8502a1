"""ODM 1.3.2 validation against the official XSD, replaying the check recorded in edc-and-standards.md 3.1.

Source: /work/shared/reference/edc-and-standards.md section 3.1 [verified there with xmlschema and lxml
against ODM1-3-2.xsd from odmlib 0.2.1]: the OpenEDC metadata example is valid; the OpenEDC clinical-data
example is invalid with 90 errors, all caused by ``<AuditRecord>`` placed after ``<StudyEventData>`` (the
XSD orders SubjectData as AuditRecord?, Signature?, InvestigatorRef?, SiteRef?, Annotation*,
StudyEventData*). Counts are exact (no tolerance).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mexards.domain.errors import ValidationErrors
from mexards.protocol import builtin_protocol, list_builtin_protocols
from mexards.reporting.odm import ensure_valid_odm, odm_document, odm_errors
from mexards.reporting.odm_clinical import clinical_part
from mexards.services.results import clinical_records
from tests.unit.reporting.conftest import clinical_trial
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN

FIXTURES = Path("/work/shared/data/odm")
CLINICAL = FIXTURES / "openedc_example_clinicaldata_odm.xml"
METADATA = FIXTURES / "openedc_example_metadata_odm.xml"

pytestmark = pytest.mark.skipif(not CLINICAL.exists(), reason="shared ODM fixtures not present")


def test_the_openedc_clinical_data_file_is_rejected_with_90_misplaced_audit_record_errors() -> None:
    errors = odm_errors(CLINICAL)
    assert len(errors) == 90
    assert all(
        "Element 'AuditRecord': This element is not expected. Expected is ( StudyEventData )." in e
        for e in errors
    )
    assert errors[0].startswith("line 57: ")
    with pytest.raises(ValidationErrors):
        ensure_valid_odm(CLINICAL)


def test_the_openedc_metadata_file_is_accepted_by_the_same_check() -> None:
    assert odm_errors(METADATA) == []


@pytest.mark.parametrize("registry_id", list_builtin_protocols())
def test_our_export_is_accepted_by_the_same_check(registry_id: str) -> None:
    assert odm_errors(odm_document(builtin_protocol(registry_id))) == []


def test_our_export_with_clinical_data_and_audit_records_is_accepted_by_the_same_check() -> None:
    sim = clinical_trial(seed=43)
    document = odm_document(PROTOCOL, clinical=clinical_part(PROTOCOL, clinical_records(sim.uow, STATISTICIAN,
                                                                                        PROTOCOL)))
    assert odm_errors(document) == []
    assert document.count(b"<AuditRecord>") > 0
