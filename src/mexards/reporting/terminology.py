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


# Subject-level domains (DM, DS, EX, AE, VS, LB, SV). Codelist names and C-codes: CDISC SDTM Controlled
# Terminology (NCI EVS); only the terms this system writes are listed, with the codelist's extensibility.

SEX_TERMS: dict[str, str] = {"male": "M", "female": "F"}
"""CRF sex -> Sex (C66731: M, F, U, UNDIFFERENTIATED)."""

NO_YES_TERMS = ("Y", "N")
"""No Yes Response (C66742) as SDTM writes it."""

ARM_NULL_REASONS = ("SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED", "UNPLANNED TREATMENT")
"""Reason Arm and/or Actual Arm is Null (C142179, ARMNRS)."""

MASKED_ARM = "BLINDED"
"""ARMCD/ARM/ACTARMCD/ACTARM of a randomised participant while the treatment group is masked (our convention:
the sponsor-defined arm of a blinded transfer; conformance accepts it in place of a TA arm)."""

DISPOSITION_CATEGORIES = ("DISPOSITION EVENT", "PROTOCOL MILESTONE", "OTHER EVENT")
"""Category for Disposition Event (C74558)."""

DISPOSITION_EVENTS: dict[str, str] = {
    "completed": "COMPLETED",
    "died": "DEATH",
    "withdrawn": "WITHDRAWAL BY SUBJECT",
    "lost_to_follow_up": "LOST TO FOLLOW-UP",
    "ineligible": "SCREEN FAILURE",
}
"""Participant end state -> Completion/Reason for Non-Completion (C66727, NCOMPLT)."""

PROTOCOL_MILESTONES = ("INFORMED CONSENT OBTAINED", "RANDOMIZED")
"""Protocol Milestone (C114118) terms written as DS milestones."""

DSDECOD_TERMS = (*dict.fromkeys(DISPOSITION_EVENTS.values()), "ADVERSE EVENT", "PHYSICIAN DECISION",
                 "WITHDRAWAL BY PARENT/GUARDIAN", "OTHER", *PROTOCOL_MILESTONES)
"""The allowed DSDECOD values (NCOMPLT C66727 and Protocol Milestone C114118 terms)."""

DOSE_FORM = "AEROSOL"
"""Pharmaceutical Dosage Form (C66726) of a nebulised dose; other routes take the intervention's form text."""

EXTRT_MASKED = "STUDY DRUG"
"""EXTRT of a Phase 2 administration while the treatment group is masked (BLD-2)."""

SEVERITY_BY_GRADE = {1: "MILD", 2: "MODERATE", 3: "SEVERE", 4: "SEVERE", 5: "SEVERE"}
TOXICITY_GRADES = ("1", "2", "3", "4", "5")
"""AETOXGR: the CTCAE v5.0 grade as text (the grade scale is named in the define document)."""

CAUSALITY: dict[str, str] = {
    "not_related": "NOT RELATED",
    "unlikely": "UNLIKELY RELATED",
    "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED",
    "definite": "RELATED",
}
"""Investigator's causality -> AEREL (sponsor-defined codelist: CDISC publishes none for AEREL)."""

OUTCOME_TERMS = ("RECOVERED/RESOLVED", "RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED",
                 "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL", "UNKNOWN")
"""Outcome of Event (C66768, AEOUT)."""

VITAL_SIGNS: dict[str, tuple[str, str, str]] = {
    "systolic_mmhg": ("SYSBP", "Systolic Blood Pressure", "mmHg"),
    "diastolic_mmhg": ("DIABP", "Diastolic Blood Pressure", "mmHg"),
    "heart_rate_per_min": ("PULSE", "Pulse Rate", "beats/min"),
    "respiratory_rate_per_min": ("RESP", "Respiratory Rate", "breaths/min"),
    "temperature_celsius": ("TEMP", "Temperature", "C"),
    "spo2_percent": ("OXYSAT", "Oxygen Saturation", "%"),
    "weight_kg": ("WEIGHT", "Weight", "kg"),
    "height_cm": ("HEIGHT", "Height", "cm"),
}
"""CRF field -> (VSTESTCD, VSTEST, unit): Vital Signs Test Code/Name (C66741/C67153), Unit (C66770)."""

VS_UNITS = ("mmHg", "beats/min", "breaths/min", "C", "%", "kg", "cm")
"""Units for Vital Signs Results (C66770) used here."""

TIME_POINTS: dict[str, tuple[str, int]] = {
    "pre_dose": ("PRE-DOSE", 1), "post_15_min": ("15 MIN POST-DOSE", 2), "post_30_min": ("30 MIN POST-DOSE", 3),
    "post_1_h": ("1 H POST-DOSE", 4), "post_2_h": ("2 H POST-DOSE", 5), "daily": ("DAILY", 6),
}
"""Vital-signs time point -> (VSTPT, VSTPTNUM), sponsor-defined."""

LAB_TESTS: dict[str, tuple[str, str, str, str, str]] = {
    "leukocytes_10e3_ul": ("WBC", "Leukocytes", "HEMATOLOGY", "BLOOD", "10^3/uL"),
    "lymphocytes_10e3_ul": ("LYM", "Lymphocytes", "HEMATOLOGY", "BLOOD", "10^3/uL"),
    "neutrophils_10e3_ul": ("NEUT", "Neutrophils", "HEMATOLOGY", "BLOOD", "10^3/uL"),
    "platelets_10e3_ul": ("PLAT", "Platelets", "HEMATOLOGY", "BLOOD", "10^3/uL"),
    "hemoglobin_g_dl": ("HGB", "Hemoglobin", "HEMATOLOGY", "BLOOD", "g/dL"),
    "inr": ("INR", "Prothrombin Intl. Normalized Ratio", "COAGULATION", "BLOOD", ""),
    "bilirubin_mg_dl": ("BILI", "Bilirubin", "CHEMISTRY", "SERUM", "mg/dL"),
    "albumin_g_dl": ("ALB", "Albumin", "CHEMISTRY", "SERUM", "g/dL"),
    "creatinine_mg_dl": ("CREAT", "Creatinine", "CHEMISTRY", "SERUM", "mg/dL"),
    "crp_mg_l": ("CRP", "C Reactive Protein", "CHEMISTRY", "SERUM", "mg/L"),
    "procalcitonin_ng_ml": ("PCT", "Procalcitonin", "CHEMISTRY", "SERUM", "ng/mL"),
    "d_dimer_mg_l": ("DDIMER", "D-Dimer", "COAGULATION", "PLASMA", "mg/L FEU"),
    "ferritin_ng_ml": ("FERRITIN", "Ferritin", "CHEMISTRY", "SERUM", "ng/mL"),
    "il6_pg_ml": ("IL6", "Interleukin 6", "IMMUNOLOGY", "SERUM", "pg/mL"),
    "il8_pg_ml": ("IL8", "Interleukin 8", "IMMUNOLOGY", "SERUM", "pg/mL"),
    "tnf_alpha_pg_ml": ("TNFA", "Tumor Necrosis Factor Alpha", "IMMUNOLOGY", "SERUM", "pg/mL"),
    "pao2_mmhg": ("PO2", "Partial Pressure Oxygen", "BLOOD GAS", "ARTERIAL BLOOD", "mmHg"),
    "paco2_mmhg": ("PCO2", "Partial Pressure Carbon Dioxide", "BLOOD GAS", "ARTERIAL BLOOD", "mmHg"),
    "ph": ("PH", "pH", "BLOOD GAS", "ARTERIAL BLOOD", ""),
}
"""CRF field -> (LBTESTCD, LBTEST, LBCAT, LBSPEC, unit): Laboratory Test Code/Name (C65047/C67154), Specimen
Type (C78734), Unit (C71620); LBCAT is sponsor-defined. Labs come from the labs form, blood gases from the
blood-gas form."""

LB_TEST_CODES = tuple(code for code, *_ in LAB_TESTS.values())

COUNTRY_CODES: dict[str, str] = {
    "argentina": "ARG", "australia": "AUS", "austria": "AUT", "belgium": "BEL", "brazil": "BRA", "canada": "CAN",
    "chile": "CHL", "china": "CHN", "colombia": "COL", "czechia": "CZE", "denmark": "DNK", "egypt": "EGY",
    "finland": "FIN", "france": "FRA", "germany": "DEU", "greece": "GRC", "hong kong": "HKG", "india": "IND",
    "indonesia": "IDN", "iran": "IRN", "ireland": "IRL", "israel": "ISR", "italy": "ITA", "japan": "JPN",
    "korea, republic of": "KOR", "south korea": "KOR", "malaysia": "MYS", "mexico": "MEX",
    "netherlands": "NLD", "new zealand": "NZL", "norway": "NOR", "pakistan": "PAK", "poland": "POL",
    "portugal": "PRT", "russian federation": "RUS", "saudi arabia": "SAU", "singapore": "SGP",
    "south africa": "ZAF", "spain": "ESP", "sweden": "SWE", "switzerland": "CHE", "taiwan": "TWN",
    "thailand": "THA", "turkey": "TUR", "united arab emirates": "ARE", "united kingdom": "GBR",
    "united states": "USA", "viet nam": "VNM", "vietnam": "VNM",
}
"""Registry country name (lower case) -> ISO 3166-1 alpha-3 (DM COUNTRY); an unlisted name is written
upper-cased and the conformance check warns."""

COUNTRY_TERMS = frozenset(COUNTRY_CODES.values())
