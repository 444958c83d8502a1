"""SDTM datasets as plain data: variables with label, type and core designation, and rows.

Variable names, labels, types and cores of the trial design domains follow SDTMIG 3.4 section 7 (TA 7.2.1,
TE 7.2.2, TV 7.3.1, TI 7.4.1, TS 7.4.2). ``Req`` variables must be present and never null, ``Exp`` variables
must be present but may be null, ``Perm`` variables may be left out (SDTMIG 3.4 section 4.1.5).
The subject-level domains DM (SDTMIG 3.4 section 5.2), SV (5.4), EX (6.1.3), AE (6.2.1), DS (6.2.5), LB
(6.3.5.x) and VS (6.3.12) list the variables this system fills, with their SDTMIG core designation, in the
standard order (identifiers, topic, qualifiers, timing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Value = str | int | float | None


@dataclass(frozen=True)
class Variable:
    """An SDTM variable: ``kind`` is ``Char`` or ``Num``; ``core`` is ``Req``, ``Exp`` or ``Perm``."""

    name: str
    label: str
    kind: str = "Char"
    core: str = "Req"


@dataclass(frozen=True)
class Dataset:
    """A dataset: name (the domain code), label, variables in order and rows (variable name -> value)."""

    name: str
    label: str
    variables: tuple[Variable, ...]
    rows: tuple[dict[str, Value], ...] = field(default_factory=tuple)

    def column(self, name: str) -> list[Value]:
        """The values of one variable, row by row (``None`` where a row has no value)."""
        return [row.get(name) for row in self.rows]

    def variable(self, name: str) -> Variable:
        """The variable called ``name`` (``KeyError`` if the dataset has none)."""
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)


def _v(name: str, label: str, core: str = "Req", kind: str = "Char") -> Variable:
    return Variable(name, label, kind, core)


_IDENTIFIERS = (_v("STUDYID", "Study Identifier"), _v("DOMAIN", "Domain Abbreviation"))

DOMAIN_VARIABLES: dict[str, tuple[Variable, ...]] = {
    "TS": (*_IDENTIFIERS, _v("TSSEQ", "Sequence Number", kind="Num"), _v("TSGRPID", "Group ID", "Perm"),
           _v("TSPARMCD", "Trial Summary Parameter Short Name"), _v("TSPARM", "Trial Summary Parameter"),
           _v("TSVAL", "Parameter Value", "Exp"), _v("TSVALNF", "Parameter Null Flavor", "Perm"),
           _v("TSVALCD", "Parameter Value Code", "Exp"),
           _v("TSVCDREF", "Name of the Reference Terminology", "Exp"),
           _v("TSVCDVER", "Version of the Reference Terminology", "Exp")),
    "TA": (*_IDENTIFIERS, _v("ARMCD", "Planned Arm Code"), _v("ARM", "Description of Planned Arm"),
           _v("TAETORD", "Planned Order of Element within Arm", kind="Num"), _v("ETCD", "Element Code"),
           _v("ELEMENT", "Description of Element", "Perm"), _v("TABRANCH", "Branch", "Exp"),
           _v("TATRANS", "Transition Rule", "Exp"), _v("EPOCH", "Epoch")),
    "TE": (*_IDENTIFIERS, _v("ETCD", "Element Code"), _v("ELEMENT", "Description of Element"),
           _v("TESTRL", "Rule for Start of Element"), _v("TEENRL", "Rule for End of Element", "Perm"),
           _v("TEDUR", "Planned Duration of Element", "Perm")),
    "TV": (*_IDENTIFIERS, _v("VISITNUM", "Visit Number", kind="Num"), _v("VISIT", "Visit Name", "Perm"),
           _v("VISITDY", "Planned Study Day of Visit", "Perm", "Num"), _v("ARMCD", "Planned Arm Code", "Exp"),
           _v("ARM", "Description of Planned Arm", "Perm"), _v("TVSTRL", "Visit Start Rule"),
           _v("TVENRL", "Visit End Rule", "Perm")),
    "TI": (*_IDENTIFIERS, _v("IETESTCD", "Incl/Excl Criterion Short Name"),
           _v("IETEST", "Inclusion/Exclusion Criterion"), _v("IECAT", "Inclusion/Exclusion Category"),
           _v("IESCAT", "Inclusion/Exclusion Subcategory", "Perm"),
           _v("TIRL", "Inclusion/Exclusion Criterion Rules", "Perm"),
           _v("TIVERS", "Protocol Criteria Versions", "Perm")),
}
"""The SDTMIG 3.4 variables of each trial design domain, in the standard order."""

_SUBJECT = (*_IDENTIFIERS, _v("USUBJID", "Unique Subject Identifier"))
_VISIT = (_v("VISITNUM", "Visit Number", "Perm", "Num"), _v("VISIT", "Visit Name", "Perm"),
          _v("EPOCH", "Epoch", "Perm"))


def _finding(prefix: str, what: str) -> tuple[Variable, ...]:
    return (*_SUBJECT, _v(f"{prefix}SEQ", "Sequence Number", kind="Num"),
            _v(f"{prefix}TESTCD", f"{what} Short Name"), _v(f"{prefix}TEST", f"{what} Name"))


DOMAIN_VARIABLES.update({
    "DM": (*_SUBJECT, _v("SUBJID", "Subject Identifier for the Study"),
           _v("RFSTDTC", "Subject Reference Start Date/Time", "Exp"),
           _v("RFENDTC", "Subject Reference End Date/Time", "Exp"),
           _v("RFXSTDTC", "Date/Time of First Study Treatment", "Exp"),
           _v("RFXENDTC", "Date/Time of Last Study Treatment", "Exp"),
           _v("RFICDTC", "Date/Time of Informed Consent", "Exp"),
           _v("RFPENDTC", "Date/Time of End of Participation", "Exp"), _v("DTHDTC", "Date/Time of Death", "Exp"),
           _v("DTHFL", "Subject Death Flag", "Exp"), _v("SITEID", "Study Site Identifier"),
           _v("BRTHDTC", "Date/Time of Birth", "Perm"), _v("AGE", "Age", "Exp", "Num"),
           _v("AGEU", "Age Units", "Exp"), _v("SEX", "Sex"), _v("RACE", "Race", "Exp"),
           _v("ARMCD", "Planned Arm Code", "Exp"), _v("ARM", "Description of Planned Arm", "Exp"),
           _v("ACTARMCD", "Actual Arm Code", "Exp"), _v("ACTARM", "Description of Actual Arm", "Exp"),
           _v("ARMNRS", "Reason Arm and/or Actual Arm is Null", "Exp"), _v("COUNTRY", "Country")),
    "DS": (*_SUBJECT, _v("DSSEQ", "Sequence Number", kind="Num"),
           _v("DSTERM", "Reported Term for the Disposition Event"),
           _v("DSDECOD", "Standardized Disposition Term"), _v("DSCAT", "Category for Disposition Event", "Exp"),
           _v("EPOCH", "Epoch", "Perm"), _v("DSSTDTC", "Start Date/Time of Disposition Event", "Exp"),
           _v("DSSTDY", "Study Day of Start of Disposition Event", "Perm", "Num")),
    "EX": (*_SUBJECT, _v("EXSEQ", "Sequence Number", kind="Num"), _v("EXREFID", "Reference ID", "Perm"),
           _v("EXTRT", "Name of Treatment"), _v("EXDOSE", "Dose", "Exp", "Num"), _v("EXDOSU", "Dose Units", "Exp"),
           _v("EXDOSFRM", "Dose Form", "Exp"), _v("EXDOSFRQ", "Dosing Frequency per Interval", "Perm"),
           _v("EXROUTE", "Route of Administration", "Perm"),
           _v("EXADJ", "Reason for Dose Adjustment", "Perm"), *_VISIT,
           _v("EXSTDTC", "Start Date/Time of Treatment", "Exp"), _v("EXENDTC", "End Date/Time of Treatment", "Perm"),
           _v("EXSTDY", "Study Day of Start of Treatment", "Perm", "Num"),
           _v("EXENDY", "Study Day of End of Treatment", "Perm", "Num")),
    "AE": (*_SUBJECT, _v("AESEQ", "Sequence Number", kind="Num"),
           _v("AETERM", "Reported Term for the Adverse Event"),
           _v("AEDECOD", "Dictionary-Derived Term"), _v("AEBODSYS", "Body System or Organ Class", "Exp"),
           _v("AESER", "Serious Event", "Exp"), _v("AEACN", "Action Taken with Study Treatment", "Exp"),
           _v("AEREL", "Causality", "Exp"), _v("AEOUT", "Outcome of Adverse Event", "Perm"),
           _v("AESCONG", "Congenital Anomaly or Birth Defect", "Perm"),
           _v("AESDISAB", "Persist or Signif Disability/Incapacity", "Perm"),
           _v("AESDTH", "Results in Death", "Perm"), _v("AESHOSP", "Requires or Prolongs Hospitalization", "Perm"),
           _v("AESLIFE", "Is Life Threatening", "Perm"),
           _v("AESMIE", "Other Medically Important Serious Event", "Perm"),
           _v("AETOXGR", "Standard Toxicity Grade", "Perm"), _v("EPOCH", "Epoch", "Perm"),
           _v("AESTDTC", "Start Date/Time of Adverse Event", "Exp"),
           _v("AEENDTC", "End Date/Time of Adverse Event", "Exp"),
           _v("AESTDY", "Study Day of Start of Adverse Event", "Perm", "Num"),
           _v("AEENDY", "Study Day of End of Adverse Event", "Perm", "Num")),
    "VS": (*_finding("VS", "Vital Signs Test"), _v("VSORRES", "Result or Finding in Original Units", "Exp"),
           _v("VSORRESU", "Original Units", "Exp"), _v("VSSTRESC", "Character Result/Finding in Std Format", "Exp"),
           _v("VSSTRESN", "Numeric Result/Finding in Standard Units", "Exp", "Num"),
           _v("VSSTRESU", "Standard Units", "Exp"), _v("VSLOBXFL", "Last Observation Before Exposure Flag", "Exp"),
           *_VISIT, _v("VSDTC", "Date/Time of Measurements", "Exp"),
           _v("VSDY", "Study Day of Vital Signs", "Perm", "Num"), _v("VSTPT", "Planned Time Point Name", "Perm"),
           _v("VSTPTNUM", "Planned Time Point Number", "Perm", "Num")),
    "LB": (*_finding("LB", "Lab Test or Examination"), _v("LBCAT", "Category for Lab Test", "Exp"),
           _v("LBORRES", "Result or Finding in Original Units", "Exp"), _v("LBORRESU", "Original Units", "Exp"),
           _v("LBORNRLO", "Reference Range Lower Limit in Orig Unit", "Exp"),
           _v("LBORNRHI", "Reference Range Upper Limit in Orig Unit", "Exp"),
           _v("LBSTRESC", "Character Result/Finding in Std Format", "Exp"),
           _v("LBSTRESN", "Numeric Result/Finding in Standard Units", "Exp", "Num"),
           _v("LBSTRESU", "Standard Units", "Exp"), _v("LBNRIND", "Reference Range Indicator", "Exp"),
           _v("LBSPEC", "Specimen Type", "Perm"), _v("LBLOBXFL", "Last Observation Before Exposure Flag", "Exp"),
           *_VISIT, _v("LBDTC", "Date/Time of Specimen Collection", "Exp"),
           _v("LBDY", "Study Day of Specimen Collection", "Perm", "Num")),
    "SV": (*_SUBJECT, _v("VISITNUM", "Visit Number", kind="Num"), _v("VISIT", "Visit Name", "Perm"),
           _v("SVOCCUR", "Occurrence", "Perm"), _v("SVREASOC", "Reason for Occur Value", "Perm"),
           _v("EPOCH", "Epoch", "Perm"), _v("SVSTDTC", "Start Date/Time of Observation", "Exp"),
           _v("SVENDTC", "End Date/Time of Observation", "Exp"),
           _v("SVSTDY", "Study Day of Start of Observation", "Perm", "Num"),
           _v("SVENDY", "Study Day of End of Observation", "Perm", "Num")),
})

DOMAIN_LABELS: dict[str, str] = {
    "DM": "Demographics",
    "DS": "Disposition",
    "EX": "Exposure",
    "AE": "Adverse Events",
    "VS": "Vital Signs",
    "LB": "Laboratory Test Results",
    "SV": "Subject Visits",
    "TS": "Trial Summary",
    "TA": "Trial Arms",
    "TE": "Trial Elements",
    "TV": "Trial Visits",
    "TI": "Trial Inclusion/Exclusion Criteria",
}

DOMAIN_KEYS: dict[str, tuple[str, ...]] = {
    "TS": ("TSPARMCD", "TSSEQ"),
    "TA": ("ARMCD", "TAETORD"),
    "TE": ("ETCD",),
    "TV": ("VISITNUM", "ARMCD"),
    "TI": ("IETESTCD",),
    "DM": ("USUBJID",),
    "DS": ("USUBJID", "DSSEQ"),
    "EX": ("USUBJID", "EXSEQ"),
    "AE": ("USUBJID", "AESEQ"),
    "VS": ("USUBJID", "VSSEQ"),
    "LB": ("USUBJID", "LBSEQ"),
    "SV": ("USUBJID", "VISITNUM"),
}
"""Natural keys (SDTMIG 3.4 section 3.2.1.1 examples): no two rows may share them."""

MAX_LENGTHS: dict[str, int] = {"ARMCD": 20, "ACTARMCD": 20, "ETCD": 8, "TSPARMCD": 8, "TSPARM": 40, "IETESTCD": 8,
                               "VSTESTCD": 8, "LBTESTCD": 8, "VSTEST": 40, "LBTEST": 40}
"""Variables with a length limit below the 200 of XPT v5 (SDTMIG 3.4 sections 4.2.1 and 7)."""
