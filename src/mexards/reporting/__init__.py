"""Reports and exports (CONSORT, tables, registry results, CDISC, FHIR); reads services read models.

Protocol-derived standard exports (``docs/exports.md``):

- CDISC ODM 1.3.2 study metadata: :func:`odm_document`, checked by :func:`odm_errors` /
  :func:`ensure_valid_odm` against the official XSD;
- SDTM trial design datasets TS, TA, TE, TV, TI: :func:`trial_design_datasets`, :func:`check_datasets`,
  :func:`write_datasets` (SAS V5 transport and CSV);
- FHIR R5 ResearchStudy/Group bundle: :func:`fhir_bundle`, :func:`fhir_errors` / :func:`ensure_valid_fhir`;
- ClinicalTrials.gov API v2 protocol section: :func:`registry_protocol_section`, :func:`registry_errors`;
- the public study page: :func:`render_study_page` with :func:`related_trials`;
- writers used by ``mexards export``: :func:`write_odm`, :func:`write_sdtm`, :func:`write_fhir`,
  :func:`write_registry`, :func:`write_page`.

Clinical data from the services read model ``clinical_records`` (``docs/exports.md``): ODM ClinicalData
(:mod:`mexards.reporting.odm_clinical`), SDTM DM, DS, EX, AE, VS, LB, SV (:mod:`mexards.reporting.sdtm_subject`,
:mod:`~mexards.reporting.sdtm_event`, :mod:`~mexards.reporting.sdtm_finding`), FHIR ResearchSubject and Patient
(:mod:`mexards.reporting.fhir_subject`); the page's released results (:func:`mexards.reporting.page.posted_results`).

The public names load on first use (PEP 562): importing one submodule does not load pandas, scipy or the
templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mexards.lazy import lazy_names

# Loaded now (it is light): the function ``similarity`` must win over its submodule of the same name, which a lazy
# name would not (importing a submodule binds its name on the package).
from mexards.reporting.similarity import MatchReason, RelatedTrial, related_trials, similarity

if TYPE_CHECKING:
    from mexards.reporting.conformance import Finding, check_datasets, ensure_conformant
    from mexards.reporting.dataset import Dataset, Variable
    from mexards.reporting.fhir import ensure_valid_fhir, fhir_bundle, fhir_errors
    from mexards.reporting.odm import ensure_valid_odm, odm_document, odm_errors
    from mexards.reporting.page import ResultsTable, StudyResults, render_study_page
    from mexards.reporting.registry import ensure_valid_registry, registry_errors, registry_protocol_section
    from mexards.reporting.transport import read_xpt, write_datasets
    from mexards.reporting.trial_design import trial_design_datasets
    from mexards.reporting.writer import write_fhir, write_odm, write_page, write_registry, write_sdtm

_HOME = {
    "Finding": "conformance",
    "check_datasets": "conformance",
    "ensure_conformant": "conformance",
    "Dataset": "dataset",
    "Variable": "dataset",
    "ensure_valid_fhir": "fhir",
    "fhir_bundle": "fhir",
    "fhir_errors": "fhir",
    "ensure_valid_odm": "odm",
    "odm_document": "odm",
    "odm_errors": "odm",
    "ResultsTable": "page",
    "StudyResults": "page",
    "render_study_page": "page",
    "ensure_valid_registry": "registry",
    "registry_errors": "registry",
    "registry_protocol_section": "registry",
    "read_xpt": "transport",
    "write_datasets": "transport",
    "trial_design_datasets": "trial_design",
    "write_fhir": "writer",
    "write_odm": "writer",
    "write_page": "writer",
    "write_registry": "writer",
    "write_sdtm": "writer",
}
"""The submodule that defines each public name."""


__getattr__ = lazy_names(__name__, _HOME)


__all__ = [
    "Dataset",
    "Finding",
    "MatchReason",
    "RelatedTrial",
    "ResultsTable",
    "StudyResults",
    "Variable",
    "check_datasets",
    "ensure_conformant",
    "ensure_valid_fhir",
    "ensure_valid_odm",
    "ensure_valid_registry",
    "fhir_bundle",
    "fhir_errors",
    "odm_document",
    "odm_errors",
    "read_xpt",
    "registry_errors",
    "registry_protocol_section",
    "related_trials",
    "render_study_page",
    "similarity",
    "trial_design_datasets",
    "write_datasets",
    "write_fhir",
    "write_odm",
    "write_page",
    "write_registry",
    "write_sdtm",
]
