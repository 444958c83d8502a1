"""The words a criterion rule may use: the standard patient-record fields and the derived values.

The patient record (``docs/eligibility.md``) is a nested JSON object (or one CSV row with dotted column names).
Each field has a type:

- ``number`` / ``integer``: exact decimals (built from the value as entered) / whole numbers;
- ``boolean``: ``true``/``false`` (CSV also ``yes``/``no``/``1``/``0``);
- ``text`` and ``choice`` (one of a fixed list, case-insensitive);
- ``date`` (``YYYY-MM-DD``) and ``datetime`` (ISO 8601 with a time zone);
- ``event``: an object ``{occurred: boolean, date: date or datetime}`` for "within N days" rules;
- ``attestation``: an investigator's judgement, ``true``/``false``, never inferred from other data.

Quantities carry their unit in the name (``pao2_mmhg`` / ``pao2_kpa``); give one or the other. Derived values
(``age_years``, ``bmi``, ``berlin_category``, ...) are computed by ``mexards.clinical`` from these fields;
a protocol refers to them by their bare name. A protocol may add fields of its own (``patient_fields``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIELD_TYPES = ("number", "integer", "boolean", "text", "choice", "date", "datetime", "event", "attestation")
NUMERIC_TYPES = ("number", "integer")
CATEGORICAL_TYPES = ("choice", "text")


@dataclass(frozen=True)
class FieldSpec:
    """A patient-record field: dotted path, type, description (and the allowed values of a choice)."""

    path: str
    type: str
    description: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class DerivedSpec:
    """A value computed from patient fields by ``mexards.clinical``; ``options`` lists the allowed values of
    each parameter a rule may pass with ``with:``."""

    name: str
    type: str
    description: str
    inputs: tuple[str, ...]
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    choices: tuple[str, ...] = ()


def _f(path: str, type_: str, description: str, choices: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec(path, type_, description, choices)


_ASCITES = ("none", "mild", "moderate", "severe", "1", "2", "3")
_ENCEPHALOPATHY = ("none", "grade 1-2", "grade 3-4", "mild", "moderate", "severe", "1", "2", "3")

STANDARD_FIELDS: tuple[FieldSpec, ...] = (
    _f("patient_id", "text", "Screening or participant identifier"),
    _f("screening_at", "datetime", "Time of the eligibility assessment (required; anchors the time windows)"),
    _f("enrolment_at", "datetime", "Randomisation/enrolment time, when known (anchor 'enrolment')"),
    _f("sex", "choice", "Sex at birth", ("male", "female")),
    _f("date_of_birth", "date", "Date of birth"),
    _f("site", "text", "Screening site"),
    _f("notes", "text", "Free text, ignored by the rules"),
    _f("consent.signed", "boolean", "Informed consent form signed"),
    _f("consent.given_by", "choice", "Who consented", ("subject", "family_member", "legal_representative")),
    _f("consent.relationship", "text", "Relationship of the consenting family member/representative"),
    _f("consent.signed_at", "datetime", "When consent was signed"),
    _f("consent.version", "text", "Consent form version"),
    _f("anthropometry.weight_kg", "number", "Body weight in kg"),
    _f("anthropometry.height_cm", "number", "Height in cm"),
    _f("anthropometry.weight_estimated", "boolean", "Weight estimated rather than measured"),
    _f("ards.diagnosed_at", "datetime", "Time the ARDS (Berlin) diagnosis was made"),
    _f("ards.risk_factor", "text", "ARDS risk factor / clinical insult, e.g. pneumonia"),
    _f("ards.onset_within_1_week", "boolean", "Berlin timing: within 1 week of insult or new symptoms"),
    _f("ards.bilateral_opacities", "boolean", "Bilateral opacities/infiltrates on chest X-ray or CT"),
    _f("ards.edema_not_cardiac", "boolean", "Respiratory failure not fully explained by cardiac failure/fluid"),
    _f("oxygenation.pao2_mmhg", "number", "Arterial PaO2 in mmHg"),
    _f("oxygenation.pao2_kpa", "number", "Arterial PaO2 in kPa"),
    _f("oxygenation.fio2_fraction", "number", "FiO2 as a fraction (values > 1 are read as percent)"),
    _f("oxygenation.fio2_percent", "number", "FiO2 in percent"),
    _f("oxygenation.peep_cmh2o", "number", "PEEP or CPAP in cmH2O"),
    _f("oxygenation.support", "choice", "Respiratory support", ("invasive", "noninvasive", "none")),
    _f("oxygenation.paco2_mmhg", "number", "Arterial PaCO2 in mmHg"),
    _f("oxygenation.paco2_kpa", "number", "Arterial PaCO2 in kPa"),
    _f("oxygenation.spo2_percent", "number", "SpO2 in percent"),
    _f("oxygenation.altitude_m", "number", "Altitude of the site in metres"),
    _f("oxygenation.barometric_pressure_mmhg", "number", "Barometric pressure in mmHg"),
    _f("hemodynamics.paop_mmhg", "number", "Pulmonary artery occlusion (wedge) pressure in mmHg"),
    _f("hemodynamics.left_atrial_hypertension_signs", "boolean", "Clinical signs of left atrial hypertension"),
    _f("liver.bilirubin_mg_dl", "number", "Total bilirubin in mg/dL"),
    _f("liver.bilirubin_umol_l", "number", "Total bilirubin in µmol/L"),
    _f("liver.albumin_g_dl", "number", "Serum albumin in g/dL"),
    _f("liver.albumin_g_l", "number", "Serum albumin in g/L"),
    _f("liver.inr", "number", "International normalised ratio"),
    _f("liver.ascites", "choice", "Ascites (none, mild, moderate-severe; or points 1-3)", _ASCITES),
    _f("liver.encephalopathy", "choice", "Hepatic encephalopathy (none, grade 1-2, grade 3-4; or points 1-3)",
       _ENCEPHALOPATHY),
    _f("liver.child_pugh_score", "integer", "Child-Pugh score as recorded (used only without the components)"),
    _f("labs.cd4_per_mm3", "number", "CD4 count in cells/mm3"),
    _f("labs.anc_per_mm3", "number", "Absolute neutrophil count in cells/mm3"),
    _f("history.severe_allergic_constitution", "boolean", "Severe allergic constitution"),
    _f("history.chronic_respiratory_disease", "boolean", "Severe chronic respiratory disease"),
    _f("history.home_oxygen", "boolean", "Needs home oxygen therapy"),
    _f("history.malignancy", "boolean", "History of malignant tumour"),
    _f("history.malignancy_only_basal_cell_skin", "boolean", "The only malignancy was skin basal-cell carcinoma"),
    _f("history.neuromuscular_disease", "boolean", "Neuromuscular disease impairing spontaneous ventilation"),
    _f("history.lung_transplant", "boolean", "Lung transplantation"),
    _f("history.bone_marrow_transplant", "boolean", "Bone marrow transplantation"),
    _f("history.epilepsy", "boolean", "History of epilepsy"),
    _f("history.pulmonary_hypertension", "boolean", "Pulmonary hypertension"),
    _f("history.major_organ_disease", "boolean", "Severe disease of a major organ"),
    _f("history.cardiac_failure", "boolean", "Cardiac failure"),
    _f("infection.hepatitis_b", "boolean", "Hepatitis B"),
    _f("infection.hepatitis_c", "boolean", "Hepatitis C"),
    _f("infection.hiv", "boolean", "HIV infection"),
    _f("infection.aids", "boolean", "AIDS"),
    _f("infection.syphilis", "boolean", "Syphilis"),
    _f("treatment.dialysis", "boolean", "Currently on haemodialysis or peritoneal dialysis"),
    _f("treatment.ecmo", "boolean", "On extracorporeal support (ECMO)"),
    _f("treatment.hfov", "boolean", "On high-frequency oscillatory ventilation"),
    _f("treatment.immunosuppressive_therapy", "boolean",
       "Immunosuppressive therapy incl. maintenance glucocorticoids (short steroid courses < 1 week and topical "
       "steroids excepted)"),
    _f("treatment.continuous_anticonvulsant", "boolean", "Needs continuous anticonvulsant therapy"),
    _f("treatment.declines_lung_protective_care", "boolean",
       "Not willing to receive lung-protective ventilation or fluid management"),
    _f("events.severe_trauma", "event", "Severe trauma"),
    _f("events.dvt_or_pe", "event", "Deep venous thrombosis or pulmonary embolism"),
    _f("events.acute_mi", "event", "Acute myocardial infarction"),
    _f("events.chemotherapy", "event", "Chemotherapy (last dose)"),
    _f("events.anticonvulsant_therapy", "event", "Anticonvulsant therapy (last given)"),
    _f("reproductive.childbearing_potential", "boolean", "Woman of childbearing potential"),
    _f("reproductive.pregnant", "boolean", "Pregnant"),
    _f("reproductive.lactating", "boolean", "Lactating"),
    _f("reproductive.planning_pregnancy", "boolean", "Planning a pregnancy within one year"),
    _f("attestations.expected_survival_under_30_days", "attestation",
       "Investigator estimates survival under 30 days"),
    _f("attestations.unable_to_understand_protocol", "attestation",
       "Investigator judges the study protocol could not be understood"),
    _f("attestations.otherwise_unsuitable", "attestation",
       "Investigator judges the patient otherwise unsuitable (e.g. poor follow-up compliance)"),
)
"""The standard patient record. The CSV column / JSON path of each field is its ``path``."""

UNIT_ALTERNATIVES: tuple[tuple[str, ...], ...] = (
    ("oxygenation.pao2_mmhg", "oxygenation.pao2_kpa"),
    ("oxygenation.fio2_fraction", "oxygenation.fio2_percent"),
    ("oxygenation.paco2_mmhg", "oxygenation.paco2_kpa"),
    ("liver.bilirubin_mg_dl", "liver.bilirubin_umol_l"),
    ("liver.albumin_g_dl", "liver.albumin_g_l"),
)
"""Fields that give the same quantity in different units: at most one of each group may be given."""

_CATEGORIES = ("MILD", "MODERATE", "SEVERE", "NOT_ARDS", "NOT_ASSESSABLE", "NOT_CLASSIFIABLE")

DERIVED_VALUES: tuple[DerivedSpec, ...] = (
    DerivedSpec("age_years", "integer", "Age in completed years at the screening date",
                ("date_of_birth", "screening_at")),
    DerivedSpec("bmi", "number", "Body mass index, kg/m2, exact unless rounding is asked for",
                ("anthropometry.weight_kg", "anthropometry.height_cm"), {"rounding": ("none", "1dp")}),
    DerivedSpec("pao2_mmhg", "number", "PaO2 in mmHg (from mmHg or kPa)",
                ("oxygenation.pao2_mmhg", "oxygenation.pao2_kpa")),
    DerivedSpec("fio2_fraction", "number", "FiO2 as a fraction (from fraction or percent)",
                ("oxygenation.fio2_fraction", "oxygenation.fio2_percent")),
    DerivedSpec("paco2_mmhg", "number", "PaCO2 in mmHg (from mmHg or kPa)",
                ("oxygenation.paco2_mmhg", "oxygenation.paco2_kpa")),
    DerivedSpec("pf_ratio", "number", "PaO2/FiO2 in mmHg", ("pao2_mmhg", "fio2_fraction")),
    DerivedSpec("berlin_category", "choice", "Berlin ARDS category (JAMA 2012)",
                ("ards.onset_within_1_week", "ards.bilateral_opacities", "ards.edema_not_cardiac", "pao2_mmhg",
                 "fio2_fraction", "oxygenation.peep_cmh2o", "oxygenation.support"),
                {"policy": ("strict", "pragmatic")}, _CATEGORIES),
    DerivedSpec("child_pugh_score", "integer",
                "Child-Pugh score 5-15; with components missing, the range of scores still possible",
                ("liver.bilirubin_*", "liver.albumin_*", "liver.inr", "liver.ascites", "liver.encephalopathy")),
    DerivedSpec("child_pugh_class", "choice", "Child-Pugh class A/B/C",
                ("liver.bilirubin_*", "liver.albumin_*", "liver.inr", "liver.ascites", "liver.encephalopathy"),
                choices=("A", "B", "C")),
    DerivedSpec("predicted_body_weight_kg", "number", "ARDSNet predicted body weight",
                ("sex", "anthropometry.height_cm")),
    DerivedSpec("standard_weight_deviation", "number",
                "Relative deviation of weight from 'standard weight' 0.7 x (height cm - 80) (MEXVT [S6])",
                ("anthropometry.weight_kg", "anthropometry.height_cm")),
)
"""Derived values a rule may name (implemented in ``mexards.clinical.criteria``)."""


def standard_fields() -> dict[str, FieldSpec]:
    """The standard patient fields by path."""
    return {spec.path: spec for spec in STANDARD_FIELDS}


def derived_values() -> dict[str, DerivedSpec]:
    """The derived values by name."""
    return {spec.name: spec for spec in DERIVED_VALUES}
