"""The few CDISC controlled terms the trial-design datasets use, and the maps from protocol words to them.

Sources: CDISC SDTM Controlled Terminology (NCI EVS, ``SDTM Terminology.txt``; codelists named below) and
SDTMIG 3.4 section 7.4 (Trial Summary). NCI concept codes (``TSVALCD``) are given only where listed here;
elsewhere ``TSVALCD`` is left empty (an Expected variable may be null). Terms marked "extension" are ours, in
codelists CDISC declares extensible.
"""

from __future__ import annotations

TS_PARAMETERS: dict[str, str] = {
    "TITLE": "Trial Title",
    "ACRONYM": "Trial Acronym",
    "REGID": "Registry Identifier",
    "SPONSOR": "Clinical Study Sponsor",
    "TPHASE": "Trial Phase Classification",
    "TTYPE": "Trial Type",
    "STYPE": "Study Type",
    "INTMODEL": "Intervention Model",
    "RANDOM": "Trial is Randomized",
    "TBLIND": "Trial Blinding Schema",
    "TCNTRL": "Control Type",
    "NARMS": "Planned Number of Arms",
    "PLANSUB": "Planned Number of Subjects",
    "ACTSUB": "Actual Number of Subjects",
    "AGEMIN": "Planned Minimum Age of Subjects",
    "AGEMAX": "Planned Maximum Age of Subjects",
    "SEXPOP": "Sex of Participants",
    "HLTSUBJI": "Healthy Subject Indicator",
    "ADDON": "Added on to Existing Treatments",
    "ADAPT": "Adaptive Design",
    "INDIC": "Trial Disease/Condition Indication",
    "TRT": "Investigational Therapy or Treatment",
    "ROUTE": "Route of Administration",
    "DOSE": "Dose per Administration",
    "DOSU": "Dose Units",
    "DOSFRQ": "Dosing Frequency",
    "OUTMSPRI": "Primary Outcome Measure",
    "OUTMSSEC": "Secondary Outcome Measure",
    "OUTMSEXP": "Exploratory Outcome Measure",
    "LENGTH": "Trial Length",
    "SSTDTC": "Study Start Date",
    "SENDTC": "Study End Date",
    "SDTIGVER": "SDTM IG Version",
}
"""TSPARMCD -> TSPARM (codelists C66738 / C67152, Trial Summary Parameter Test Code / Name)."""

TS_REQUIRED = ("TITLE", "REGID", "SPONSOR", "TPHASE", "TTYPE", "STYPE", "INTMODEL", "RANDOM", "TBLIND",
               "NARMS", "PLANSUB", "AGEMIN", "AGEMAX", "SEXPOP", "HLTSUBJI", "ADDON", "TRT", "ROUTE")
"""Parameters every exported TS must carry (a value or a null flavor)."""

NULL_FLAVORS = ("NI", "INV", "OTH", "PINF", "NINF", "UNC", "DER", "UNK", "ASKU", "NAV", "NASK", "QS", "TRC",
                "MSK", "NA", "NP")
"""ISO 21090 null flavors (TSVALNF, SDTMIG 3.4 section 7.4.2)."""

TRIAL_PHASE: dict[str, tuple[str, str]] = {
    "EARLY_PHASE1": ("PHASE 0 TRIAL", "C54721"),
    "PHASE1": ("PHASE I TRIAL", "C15600"),
    "PHASE1/PHASE2": ("PHASE I/II TRIAL", "C15693"),
    "PHASE2": ("PHASE II TRIAL", "C15601"),
    "PHASE2/PHASE3": ("PHASE II/III TRIAL", "C15694"),
    "PHASE3": ("PHASE III TRIAL", "C15602"),
    "PHASE4": ("PHASE IV TRIAL", "C15603"),
    "NA": ("NOT APPLICABLE", "C48660"),
}
"""Registry phase -> Trial Phase Response (C66737) term and code."""

BLINDING: dict[str, tuple[str, str]] = {
    "NONE": ("OPEN LABEL", "C49659"),
    "SINGLE": ("SINGLE BLIND", "C28233"),
    "DOUBLE": ("DOUBLE BLIND", "C15228"),
    "TRIPLE": ("DOUBLE BLIND", "C15228"),
    "QUADRUPLE": ("DOUBLE BLIND", "C15228"),
}
"""Registry masking -> Trial Blinding Schema Response (C66735); triple/quadruple masking is double blind."""

INTERVENTION_MODEL: dict[str, tuple[str, str]] = {
    "PARALLEL": ("PARALLEL", "C82639"),
    "CROSSOVER": ("CROSSOVER", "C82637"),
    "FACTORIAL": ("FACTORIAL", "C82638"),
    "SINGLE_GROUP": ("SINGLE GROUP", "C82640"),
    "SEQUENTIAL": ("SEQUENTIAL", ""),
}
"""Registry intervention model -> Intervention Model Response (C99076)."""

STUDY_TYPE: dict[str, tuple[str, str]] = {
    "INTERVENTIONAL": ("INTERVENTIONAL", "C98388"),
    "OBSERVATIONAL": ("OBSERVATIONAL", ""),
    "EXPANDED_ACCESS": ("EXPANDED ACCESS", ""),
}
"""Registry study type -> Study Type Response (C99077)."""

SEX_POPULATION: dict[str, tuple[str, str]] = {
    "ALL": ("BOTH", "C49636"),
    "FEMALE": ("F", "C16576"),
    "MALE": ("M", "C20197"),
}
"""Registry sex -> Sex of Participants Response (C66732)."""

NO_YES: dict[bool, tuple[str, str]] = {True: ("Y", "C49488"), False: ("N", "C49487")}
"""No Yes Response (C66742)."""

ROUTES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("inhal", "nebuli", "aerosol"), "RESPIRATORY (INHALATION)", "C38216"),
    (("intravenous",), "INTRAVENOUS", "C38276"),
    (("subcutaneous",), "SUBCUTANEOUS", "C38299"),
    (("intramuscular",), "INTRAMUSCULAR", "C28161"),
    (("oral",), "ORAL", "C38288"),
)
"""Keywords in the protocol's route text -> Route of Administration Response (C66729)."""

TRIAL_TYPE_TERMS = ("BIOAVAILABILITY", "BIOEQUIVALENCE", "DIAGNOSIS", "EFFICACY", "PHARMACODYNAMIC",
                    "PHARMACOECONOMIC", "PHARMACOGENETIC", "PHARMACOGENOMIC", "PHARMACOKINETIC", "PREVENTION",
                    "SAFETY", "TOLERABILITY", "TREATMENT")
"""Trial Type Response (C66739), the terms relevant here."""

CONTROL_TYPE_TERMS = ("ACTIVE", "DOSE RESPONSE", "HISTORICAL", "NONE", "PLACEBO")
"""Control Type Response (C66785)."""

EPOCH_TERMS = ("SCREENING", "RUN-IN", "TREATMENT", "BLINDED TREATMENT", "OPEN LABEL TREATMENT", "FOLLOW-UP",
               "LONG-TERM FOLLOW-UP", "WASHOUT", "BASELINE")
"""Epoch (C99079, extensible): the terms used here."""

EPOCH_EXTENSIONS = ("DOSE ESCALATION",)
"""Our extension of the Epoch codelist: the Phase 1 dose-finding stage of a seamless design."""

IE_CATEGORIES = ("INCLUSION", "EXCLUSION")
"""Category for Inclusion/Exclusion (C66797)."""

TS_CODELISTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "TPHASE": (tuple(term for term, _ in TRIAL_PHASE.values()), False),
    "TBLIND": (("OPEN LABEL", "SINGLE BLIND", "DOUBLE BLIND"), False),
    "INTMODEL": (tuple(term for term, _ in INTERVENTION_MODEL.values()), True),
    "STYPE": (tuple(term for term, _ in STUDY_TYPE.values()), False),
    "SEXPOP": (tuple(term for term, _ in SEX_POPULATION.values()), False),
    "RANDOM": (("Y", "N"), False),
    "HLTSUBJI": (("Y", "N"), False),
    "ADDON": (("Y", "N"), False),
    "ADAPT": (("Y", "N"), False),
    "TTYPE": (TRIAL_TYPE_TERMS, True),
    "TCNTRL": (CONTROL_TYPE_TERMS, True),
    "ROUTE": (tuple(term for _, term, _ in ROUTES), True),
}
"""TSPARMCD -> (allowed TSVAL terms, codelist extensible?). Values outside a non-extensible list are errors;
outside an extensible one, warnings."""

TS_DATES = ("SSTDTC", "SENDTC")
TS_DURATIONS = ("AGEMIN", "AGEMAX", "LENGTH")


def route_term(route: str) -> tuple[str, str]:
    """The CDISC route term and code for a protocol's route text; an unknown route is returned upper-cased
    without a code (the codelist is extensible; the conformance check warns)."""
    text = route.lower()
    for keywords, term, code in ROUTES:
        if any(word in text for word in keywords):
            return term, code
    return route.strip().upper(), ""
