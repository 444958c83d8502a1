"""The case report forms a protocol implies: one form per assessment named in the schedule of assessments.

A protocol lists assessments by name (``blood_gas``, ``sofa``, ``adverse_events``, ...). This module maps
each name to a form with item groups and items: data type, unit, range checks and code lists. Forms that
depend on the protocol itself are built from it: eligibility (one item per registered criterion),
randomisation (one item per stratification factor, never the arm), administration (the dose unit of the
protocol's interventions) and demographics (a soft age check from the registry age limits). An assessment
this catalogue does not know still gets a form (performed yes/no, date, comment), so every protocol exports.

Ranges are only those that follow from a definition, each with its source:

- percentages 0-100 and FiO2 as a fraction 0.21-1.0 (room air to pure oxygen; clinical.md 3.1, Berlin);
- Murray components and score 0-4 (Murray et al., Am Rev Respir Dis 1988;138:720; ``clinical.murray``);
- SOFA organ scores 0-4, total 0-24 (Vincent et al., Intensive Care Med 1996;22:707; ``clinical.sofa``);
- Child-Pugh score 5-15 (Pugh et al., Br J Surg 1973;60:646; ``mexards.clinical.child_pugh``);
- Glasgow coma scale 3-15 (Teasdale & Jennett, Lancet 1974);
- CTCAE v5.0 grade 1-5 (``mexards.domain.adverse_event.CTCAEGrade``);
- measured concentrations, counts, pressures, volumes and doses are not negative;
- age within the registry's minimum/maximum age (soft: a warning to the data-entry person, not a refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mexards.domain.adverse_event import CTCAEGrade, Expectedness, Relatedness
from mexards.protocol.model import Protocol
from mexards.protocol.vocabulary import derived_values, standard_fields


@dataclass(frozen=True)
class CodeListSpec:
    """A code list: OID suffix, name, data type and (coded value, decode) pairs."""

    key: str
    name: str
    items: tuple[tuple[str, str], ...]
    data_type: str = "text"


@dataclass(frozen=True)
class RangeSpec:
    """An ODM RangeCheck: ``comparator`` (LT, LE, GT, GE, EQ, NE) against ``value``; Soft or Hard."""

    comparator: str
    value: Decimal
    soft_hard: str
    message: str


@dataclass(frozen=True)
class ItemSpec:
    """A CRF field."""

    key: str
    question: str
    data_type: str
    unit: str = ""
    codelist: str = ""
    ranges: tuple[RangeSpec, ...] = ()
    length: int | None = None
    mandatory: bool = False


@dataclass(frozen=True)
class ItemGroupSpec:
    """A group of fields; ``repeating`` groups hold one row per event (adverse events, medications)."""

    key: str
    name: str
    items: tuple[ItemSpec, ...]
    repeating: bool = False


@dataclass(frozen=True)
class FormSpec:
    """A CRF page for one assessment."""

    key: str
    name: str
    groups: tuple[ItemGroupSpec, ...]


def _hard_between(low: str | int, high: str | int, what: str) -> tuple[RangeSpec, ...]:
    return (
        RangeSpec("GE", Decimal(low), "Hard", f"{what} must be at least {low}"),
        RangeSpec("LE", Decimal(high), "Hard", f"{what} must be at most {high}"),
    )


def _not_negative(what: str) -> tuple[RangeSpec, ...]:
    return (RangeSpec("GE", Decimal(0), "Hard", f"{what} cannot be negative"),)


def _num(key: str, question: str, unit: str = "", ranges: tuple[RangeSpec, ...] | None = None) -> ItemSpec:
    checks = _not_negative(question) if ranges is None else ranges
    return ItemSpec(key, question, "float", unit, ranges=checks)


def _int(key: str, question: str, ranges: tuple[RangeSpec, ...] = (), unit: str = "") -> ItemSpec:
    return ItemSpec(key, question, "integer", unit, ranges=ranges, length=3)


def _yes_no(key: str, question: str) -> ItemSpec:
    return ItemSpec(key, question, "text", codelist="NY", length=1)


def _text(key: str, question: str, length: int = 200) -> ItemSpec:
    return ItemSpec(key, question, "text", length=length)


def _when(key: str, question: str, kind: str = "datetime") -> ItemSpec:
    return ItemSpec(key, question, kind)


def _group(key: str, name: str, *items: ItemSpec, repeating: bool = False) -> ItemGroupSpec:
    return ItemGroupSpec(key, name, tuple(items), repeating)


def _choices(path: str) -> tuple[tuple[str, str], ...]:
    return tuple((choice, choice) for choice in standard_fields()[path].choices)


def _codelist_key(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.upper())


NY = CodeListSpec("NY", "No Yes Response (CDISC C66742 subset)", (("Y", "Yes"), ("N", "No")))
POSNEG = CodeListSpec("POSNEG", "Test result", (("POSITIVE", "Positive"), ("NEGATIVE", "Negative")))
_FIXED_CODELISTS: tuple[CodeListSpec, ...] = (
    NY,
    POSNEG,
    CodeListSpec(
        "CTCAE_GRADE",
        "CTCAE v5.0 grade",
        tuple((str(int(g)), g.name.replace("_", " ").title()) for g in CTCAEGrade),
        data_type="integer",
    ),
    CodeListSpec("RELATEDNESS", "Relationship to study product",
                 tuple((r.value, r.name.replace("_", " ").title()) for r in Relatedness)),
    CodeListSpec("EXPECTEDNESS", "Expectedness (reference safety information)",
                 tuple((e.value, e.name.title()) for e in Expectedness)),
    CodeListSpec("BERLIN_CATEGORY", "Berlin ARDS category (JAMA 2012)",
                 tuple((c, c.replace("_", " ").title())
                       for c in derived_values()["berlin_category"].choices)),
    CodeListSpec("CONSENT_BY", "Who gave consent", _choices("consent.given_by")),
    CodeListSpec("SEX", "Sex at birth", _choices("sex")),
    CodeListSpec("RESPIRATORY_SUPPORT", "Respiratory support", _choices("oxygenation.support")),
    CodeListSpec("ASCITES", "Ascites", _choices("liver.ascites")),
    CodeListSpec("ENCEPHALOPATHY", "Hepatic encephalopathy", _choices("liver.encephalopathy")),
)

_PERCENT = _hard_between(0, 100, "A percentage")
_FIO2 = _hard_between("0.21", "1.0", "FiO2 as a fraction")
_ORGAN = _hard_between(0, 4, "A SOFA organ score")

_CATALOGUE: dict[str, FormSpec] = {
    "consent": FormSpec("CONSENT", "Informed consent", (_group(
        "CONSENT", "Informed consent", _yes_no("SIGNED", "Informed consent form signed"),
        ItemSpec("GIVENBY", "Who gave consent", "text", codelist="CONSENT_BY", length=40),
        _text("RELATION", "Relationship of the consenting family member or representative", 100),
        _when("SIGNEDAT", "Date and time consent was signed"),
        _text("VERSION", "Consent form version", 40)),)),
    "demographics": FormSpec("DEMOG", "Demographics", (_group(
        "DEMOG", "Demographics", _when("BRTHDAT", "Date of birth", "date"),
        ItemSpec("SEX", "Sex at birth", "text", codelist="SEX", length=6),
        _num("WEIGHT", "Body weight", "kg"), _num("HEIGHT", "Height", "cm"),
        _yes_no("WTEST", "Weight estimated rather than measured")),)),
    "berlin": FormSpec("BERLIN", "Berlin definition of ARDS", (_group(
        "BERLIN", "Berlin criteria", _yes_no("TIMING", "Within 1 week of a known insult or new symptoms"),
        _yes_no("BILAT", "Bilateral opacities on chest imaging"),
        _yes_no("NOTCARD", "Respiratory failure not fully explained by cardiac failure or fluid overload"),
        ItemSpec("CATEGORY", "Berlin category", "text", codelist="BERLIN_CATEGORY", length=20)),)),
    "blood_gas": FormSpec("ABG", "Arterial blood gas", (_group(
        "ABG", "Arterial blood gas", _when("DTC", "Sample date and time"), _num("PAO2", "PaO2", "mmHg"),
        _num("PACO2", "PaCO2", "mmHg"), _num("FIO2", "FiO2 (fraction)", ranges=_FIO2),
        _num("PH", "Arterial pH"), _num("SPO2", "SpO2", "%", ranges=_PERCENT)),)),
    "ventilator_settings": FormSpec("VENT", "Ventilator settings", (_group(
        "VENT", "Ventilator settings",
        ItemSpec("SUPPORT", "Respiratory support", "text", codelist="RESPIRATORY_SUPPORT", length=12),
        _num("PEEP", "PEEP or CPAP", "cmH2O"), _num("VT", "Tidal volume", "mL"),
        _num("PPLAT", "Plateau pressure", "cmH2O"), _num("FIO2", "FiO2 (fraction)", ranges=_FIO2)),)),
    "murray": FormSpec("MURRAY", "Murray lung injury score", (_group(
        "MURRAY", "Murray lung injury score",
        _int("CXRQUAD", "Quadrants with alveolar consolidation", _hard_between(0, 4, "Quadrants")),
        _num("PFRATIO", "PaO2/FiO2", "mmHg"), _num("PEEP", "PEEP", "cmH2O"),
        _num("COMPL", "Static compliance", "mL/cmH2O"),
        _num("SCORE", "Murray score", ranges=_hard_between(0, 4, "The Murray score"))),)),
    "sofa": FormSpec("SOFA", "SOFA score", (_group(
        "SOFA", "Sequential Organ Failure Assessment",
        _int("RESP", "Respiration score", _ORGAN), _int("COAG", "Coagulation score", _ORGAN),
        _int("LIVER", "Liver score", _ORGAN), _int("CARDIO", "Cardiovascular score", _ORGAN),
        _int("CNS", "Central nervous system score", _ORGAN), _int("RENAL", "Renal score", _ORGAN),
        _int("GCS", "Glasgow coma scale", _hard_between(3, 15, "The Glasgow coma scale")),
        _int("TOTAL", "SOFA total", _hard_between(0, 24, "The SOFA total"))),)),
    "child_pugh": FormSpec("CHILDPGH", "Child-Pugh score", (_group(
        "CHILDPGH", "Child-Pugh score", _num("BILI", "Total bilirubin", "mg/dL"),
        _num("ALB", "Albumin", "g/dL"),
        _num("INR", "INR"), ItemSpec("ASCITES", "Ascites", "text", codelist="ASCITES", length=10),
        ItemSpec("ENCEPH", "Hepatic encephalopathy", "text", codelist="ENCEPHALOPATHY", length=10),
        _int("SCORE", "Child-Pugh score", _hard_between(5, 15, "The Child-Pugh score"))),)),
    "chest_imaging": FormSpec("CXR", "Chest imaging", (_group(
        "CXR", "Chest imaging", _when("DTC", "Imaging date and time"),
        _yes_no("BILAT", "Bilateral opacities"),
        _int("QUAD", "Quadrants with alveolar consolidation", _hard_between(0, 4, "Quadrants"))),)),
    "bloods": FormSpec("LAB", "Safety laboratory", (_group(
        "LAB", "Haematology and chemistry", _when("DTC", "Sample date and time"),
        _num("HGB", "Haemoglobin", "g/dL"), _num("WBC", "White blood cells", "10^9/L"),
        _num("ANC", "Absolute neutrophil count", "cells/mm3"), _num("PLAT", "Platelets", "10^9/L"),
        _num("CREAT", "Creatinine", "mg/dL"), _num("BILI", "Total bilirubin", "mg/dL"),
        _num("ALT", "ALT", "U/L"), _num("AST", "AST", "U/L")),)),
    "biomarkers": FormSpec("BIOMARK", "Biomarkers", (_group(
        "BIOMARK", "Inflammatory and lung-injury biomarkers", _when("DTC", "Sample date and time"),
        _num("IL6", "IL-6", "pg/mL"), _num("IL8", "IL-8", "pg/mL"), _num("TNFA", "TNF-alpha", "pg/mL"),
        _num("SPD", "Surfactant protein D", "ng/mL")),)),
    "serology_pregnancy": FormSpec("SEROL", "Serology and pregnancy test", (_group(
        "SEROL", "Serology and pregnancy test",
        *(ItemSpec(key, question, "text", codelist="POSNEG", length=8) for key, question in (
            ("HBSAG", "Hepatitis B surface antigen"), ("HCVAB", "Hepatitis C antibody"),
            ("HIVAB", "HIV antibody"),
            ("SYPH", "Syphilis serology"), ("PREG", "Pregnancy test (women of childbearing potential)")))),)),
    "vital_signs": FormSpec("VS", "Vital signs", (_group(
        "VS", "Vital signs", _when("DTC", "Date and time"), _num("SYSBP", "Systolic blood pressure", "mmHg"),
        _num("DIABP", "Diastolic blood pressure", "mmHg"), _num("PULSE", "Heart rate", "beats/min"),
        _num("RESP", "Respiratory rate", "breaths/min"), _num("TEMP", "Temperature", "degC"),
        _num("OXYSAT", "SpO2", "%", ranges=_PERCENT)),)),
    "physical_exam": FormSpec("PE", "Physical examination", (_group(
        "PE", "Physical examination", _yes_no("NORMAL", "Examination normal"),
        _text("FINDINGS", "Abnormal findings")),)),
    "adverse_events": FormSpec("AE", "Adverse events", (_group(
        "AE", "Adverse event", _text("TERM", "Adverse event term"), _when("STDTC", "Onset date and time"),
        _when("ENDTC", "End date and time"),
        ItemSpec("GRADE", "CTCAE v5.0 grade", "integer", codelist="CTCAE_GRADE", length=1),
        _yes_no("SER", "Serious (ICH E2A)"),
        ItemSpec("REL", "Relationship to study product", "text", codelist="RELATEDNESS", length=12),
        ItemSpec("EXPECT", "Expectedness", "text", codelist="EXPECTEDNESS", length=10),
        _yes_no("DLTCAND", "Candidate dose-limiting toxicity"), repeating=True),)),
    "concomitant_medication": FormSpec("CM", "Concomitant medication", (_group(
        "CM", "Concomitant medication", _text("TRT", "Medication"), _when("STDTC", "Start date", "date"),
        _when("ENDTC", "End date", "date"), _yes_no("ONGO", "Ongoing"), repeating=True),)),
    "vital_status": FormSpec("SURV", "Vital status", (_group(
        "SURV", "Vital status", _yes_no("ALIVE", "Alive"), _when("DTHDTC", "Date of death", "date"),
        _when("LKADTC", "Date last known alive", "date")),)),
    "ventilation_status": FormSpec("VENTSTAT", "Ventilation status", (_group(
        "VENTSTAT", "Ventilation status", _yes_no("INVASIVE", "On invasive ventilation"),
        _when("EXTUBDTC", "Date of final extubation", "date"),
        _int("VFD", "Ventilator-free days to Day 28", _hard_between(0, 28, "Ventilator-free days"))),)),
    "icu_status": FormSpec("ICUSTAT", "ICU status", (_group(
        "ICUSTAT", "ICU status", _yes_no("INICU", "In the intensive care unit"),
        _when("ICUDISDT", "Date of ICU discharge", "date")),)),
}


def _eligibility_form(protocol: Protocol) -> FormSpec:
    inclusion = tuple(_yes_no(c.id, f"Inclusion {c.number}: {c.text} (met?)")
                      for c in protocol.eligibility.inclusion)
    exclusion = tuple(_yes_no(c.id, f"Exclusion {c.number}: {c.text} (present?)")
                      for c in protocol.eligibility.exclusion)
    groups = [_group("ELIGDT", "Eligibility assessment", _when("DTC", "Date and time of the assessment"),
                     _yes_no("ELIGIBLE", "Eligible"))]
    if inclusion:
        groups.append(_group("INCL", "Inclusion criteria", *inclusion))
    if exclusion:
        groups.append(_group("EXCL", "Exclusion criteria", *exclusion))
    return FormSpec("ELIG", "Eligibility", tuple(groups))


def _randomisation_form(protocol: Protocol) -> FormSpec:
    strata = protocol.phase2.strata if protocol.phase2 else ()
    items = [_when("RANDDTC", "Date and time of randomisation"), _text("RANDNO", "Randomisation number", 20)]
    items += [ItemSpec(_codelist_key(s.name)[:8], f"Stratum: {s.name.replace('_', ' ')}", "text",
                       codelist=f"STRATUM_{_codelist_key(s.name)}", length=max(len(v) for v in s.levels))
              for s in strata if s.levels]
    group = _group("RAND", "Randomisation (no treatment information)", *items)
    return FormSpec("RAND", "Randomisation", (group,))


def _administration_form(protocol: Protocol) -> FormSpec:
    items = [_when("STDTC", "Start of administration"),
             _yes_no("DONE", "Administration completed as planned")]
    doses = [i.dose for i in protocol.interventions]
    if any(d.particles is not None or d.fraction_of_mtd is not None for d in doses):
        items.append(_num("DOSEPART", "Dose given", "particles"))
    if any(d.cells_per_kg is not None for d in doses):
        items.append(_num("DOSECELL", "Dose given", "cells/kg"))
    if any(i.volume_ml is not None for i in protocol.interventions):
        items.append(_num("VOLUME", "Volume given", "mL"))
    items.append(_text("REASON", "Reason if not completed as planned"))
    return FormSpec("EX", "Study product administration", (_group("EX", "Administration", *items),))


def _demographics_form(protocol: Protocol) -> FormSpec:
    base = _CATALOGUE["demographics"]
    ident = protocol.identification
    ranges: list[RangeSpec] = []
    if ident.min_age_years is not None:
        ranges.append(RangeSpec("GE", Decimal(ident.min_age_years), "Soft",
                                f"Age below the protocol minimum of {ident.min_age_years} years"))
    if ident.max_age_years is not None:
        ranges.append(RangeSpec("LE", Decimal(ident.max_age_years), "Soft",
                                f"Age above the protocol maximum of {ident.max_age_years} years"))
    age = _int("AGE", "Age in completed years at screening", tuple(ranges), unit="years")
    group = base.groups[0]
    return FormSpec(base.key, base.name, (ItemGroupSpec(group.key, group.name, (*group.items, age)),))


def _generic_form(assessment: str) -> FormSpec:
    key = _codelist_key(assessment)[:8]
    words = assessment.replace("_", " ")
    return FormSpec(key, words.capitalize(), (_group(
        key, words.capitalize(), _yes_no("DONE", f"{words.capitalize()} performed"),
        _when("DTC", "Date and time"), _text("COMMENT", "Comment")),))


def form_for(protocol: Protocol, assessment: str) -> FormSpec:
    """The form recording ``assessment`` under ``protocol`` (a generic one for names not catalogued)."""
    builders = {"eligibility": _eligibility_form, "randomisation": _randomisation_form,
                "administration": _administration_form, "demographics": _demographics_form}
    if assessment in builders:
        return builders[assessment](protocol)
    if assessment in _CATALOGUE:
        return _CATALOGUE[assessment]
    return _generic_form(assessment)


def scheduled_assessments(protocol: Protocol) -> tuple[str, ...]:
    """Every assessment named in the schedule, in order of first appearance."""
    seen: dict[str, None] = {}
    for visit in protocol.schedule.visits if protocol.schedule else ():
        for assessment in visit.assessments:
            seen.setdefault(assessment, None)
    return tuple(seen)


def codelists_for(protocol: Protocol) -> tuple[CodeListSpec, ...]:
    """The fixed code lists plus one per Phase 2 stratification factor."""
    strata = protocol.phase2.strata if protocol.phase2 else ()
    extra = tuple(CodeListSpec(f"STRATUM_{_codelist_key(s.name)}",
                               f"Stratum levels: {s.name.replace('_', ' ')}",
                               tuple((level, level.replace("_", " ").title()) for level in s.levels))
                  for s in strata if s.levels)
    return _FIXED_CODELISTS + extra
