"""A documented subset of SDTM conformance checks for exported datasets (edc-and-standards.md 3.3).

CDISC CORE is not available offline, so these rules are implemented here, each named by an id:

- ``SD-NAME``: dataset and variable names at most 8 characters, upper-case letters, digits and ``_``, starting
  with a letter (SAS V5 transport; SDTMIG 3.4 section 4.2.1);
- ``SD-LABEL``: dataset and variable labels at most 40 characters (SAS V5 transport);
- ``SD-LENGTH``: character values at most 200 bytes, ASCII only (SAS V5 transport; FDA Technical Conformance
  Guide 3.3.2), and the shorter limits of :data:`~mexards.reporting.dataset.MAX_LENGTHS`;
- ``SD-REQ``: every ``Req`` variable of the domain present and never null; ``SD-EXP``: every ``Exp`` variable
  present (SDTMIG 3.4 section 4.1.5);
- ``SD-DOMAIN``: ``DOMAIN`` equals the dataset name; ``SD-TYPE``: numeric variables hold numbers;
- ``SD-KEY``: no two rows share the domain's natural key;
- ``SD-CT``: controlled terms (IECAT, EPOCH, TSVALNF, the coded TS parameters, TSPARM matching TSPARMCD); a
  value outside an extensible codelist is a warning, outside a closed one an error;
- ``SD-ISO8601``: dates and durations in ISO 8601 (TS start/end dates, ages, trial length, TEDUR);
- ``TS-VALUE``: each TS row has a value or a null flavor, not both; ``TS-PARM``: the required parameters
  (:data:`~mexards.reporting.terminology.TS_REQUIRED`) are present;
- ``TA-TE``: every element in TA is defined in TE; ``TV-TA``: every arm in TV is an arm of TA.

Subject-level domains (DM, DS, EX, AE, VS, LB, SV) add:

- ``SD-ISO8601`` on every ``--DTC`` variable; ``SD-CT`` on the coded variables of :data:`SUBJECT_CODELISTS`
  (SEX, AGEU, ARMNRS, COUNTRY, DSCAT, DSDECOD, EXROUTE, EXDOSFRM, AESER and the seriousness flags, AETOXGR,
  AEREL, AEOUT, VSTESTCD, VSORRESU, LBTESTCD, --LOBXFL, SVOCCUR, EPOCH);
- ``SD-SEQ`` via the natural keys: ``--SEQ`` unique within ``USUBJID``;
- ``SD-USUBJID``: every subject of a domain is in DM; ``SD-VISITNUM``: every planned ``VISITNUM`` is in TV
  (unplanned visits are numbered above 100);
- ``DM-TA``: ``ARMCD``/``ACTARMCD`` are arms of TA (with the matching ``ARM``) or the masked arm BLINDED.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.reporting.dataset import DOMAIN_KEYS, DOMAIN_VARIABLES, MAX_LENGTHS, Dataset
from mexards.reporting.terminology import (
    ARM_NULL_REASONS,
    CAUSALITY,
    COUNTRY_TERMS,
    DISPOSITION_CATEGORIES,
    DSDECOD_TERMS,
    EPOCH_EXTENSIONS,
    EPOCH_TERMS,
    IE_CATEGORIES,
    LB_TEST_CODES,
    MASKED_ARM,
    NO_YES_TERMS,
    NULL_FLAVORS,
    OUTCOME_TERMS,
    ROUTES,
    TOXICITY_GRADES,
    TS_CODELISTS,
    TS_DATES,
    TS_DURATIONS,
    TS_PARAMETERS,
    TS_REQUIRED,
    VITAL_SIGNS,
    VS_UNITS,
)

SUBJECT_DOMAINS = ("DM", "DS", "EX", "AE", "VS", "LB", "SV")
UNPLANNED_VISITNUM = 100
"""Visit numbers above this are unplanned visits, not in TV."""
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
_ISO_DATE = re.compile(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")
_ISO_DURATION = re.compile(r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
                           r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$")


def is_iso8601_date(text: str) -> bool:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a date-time, as SDTM ``--DTC`` allows (SDTMIG 3.4 4.4.2)."""
    return bool(_ISO_DATE.match(text))


def is_iso8601_duration(text: str) -> bool:
    """An ISO 8601 duration such as ``P18Y``, ``P7D``, ``PT2H`` or ``P1Y6M`` (SDTMIG 3.4 section 4.4.3)."""
    return bool(_ISO_DURATION.match(text))


@dataclass(frozen=True)
class Finding:
    """One conformance problem: where (dataset, variable, 1-based row or ``None``), which rule, what."""

    dataset: str
    variable: str
    row: int | None
    rule: str
    message: str
    severity: str = "error"

    @property
    def field(self) -> str:
        """``TS.TSVAL`` or ``TS.TSVAL[row 3]``: the place, for ``field: rule`` messages."""
        where = f"{self.dataset}.{self.variable}" if self.variable else self.dataset
        return where if self.row is None else f"{where}[row {self.row}]"


def _empty(value: object) -> bool:
    if isinstance(value, float):
        return value != value
    return value is None or value == ""


def _structure(ds: Dataset) -> list[Finding]:
    found: list[Finding] = []
    if not _NAME.match(ds.name):
        found.append(Finding(ds.name, "", None, "SD-NAME", "dataset name must be 1-8 letters or digits"))
    if len(ds.label) > 40:
        found.append(Finding(ds.name, "", None, "SD-LABEL", "dataset label longer than 40 characters"))
    for variable in ds.variables:
        if not _NAME.match(variable.name):
            found.append(Finding(ds.name, variable.name, None, "SD-NAME",
                                 "must be 1-8 upper-case letters, digits or _, starting with a letter"))
        if len(variable.label) > 40:
            found.append(Finding(ds.name, variable.name, None, "SD-LABEL", "label longer than 40 characters"))
    names = {v.name for v in ds.variables}
    for variable in DOMAIN_VARIABLES.get(ds.name, ()):
        if variable.core in ("Req", "Exp") and variable.name not in names:
            rule = "SD-REQ" if variable.core == "Req" else "SD-EXP"
            found.append(Finding(ds.name, variable.name, None, rule, f"{variable.core} variable missing"))
    return found


def _values(ds: Dataset) -> list[Finding]:
    found: list[Finding] = []
    standard = {v.name: v for v in DOMAIN_VARIABLES.get(ds.name, ())}
    names = {v.name for v in ds.variables}
    checks = [(v.name, v.kind == "Num", standard.get(v.name, v).core == "Req", MAX_LENGTHS.get(v.name, 200))
              for v in ds.variables]
    standard_domain = ds.name in DOMAIN_VARIABLES
    for number, row in enumerate(ds.rows, start=1):
        if not names.issuperset(row):
            found += [Finding(ds.name, name, number, "SD-NAME", "value of a variable not defined")
                      for name in row if name not in names]
        for name, numeric, required, limit in checks:
            value = row.get(name)
            if value is None or value == "" or (isinstance(value, float) and value != value):
                if required:
                    found.append(Finding(ds.name, name, number, "SD-REQ", "Req variable is null"))
                continue
            if numeric:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    found.append(Finding(ds.name, name, number, "SD-TYPE", "must be a number"))
                continue
            text = value if isinstance(value, str) else str(value)
            if not text.isascii():
                found.append(Finding(ds.name, name, number, "SD-LENGTH", "value is not ASCII"))
            elif len(text) > limit:
                found.append(Finding(ds.name, name, number, "SD-LENGTH", f"longer than {limit}"))
        if standard_domain and row.get("DOMAIN") != ds.name:
            found.append(Finding(ds.name, "DOMAIN", number, "SD-DOMAIN", f"must be {ds.name}"))
    return found


def _keys(ds: Dataset) -> list[Finding]:
    key = DOMAIN_KEYS.get(ds.name)
    if not key:
        return []
    seen: dict[tuple[object, ...], int] = {}
    found: list[Finding] = []
    for number, row in enumerate(ds.rows, start=1):
        value = tuple(row.get(k) for k in key)
        if value in seen:
            found.append(Finding(ds.name, "/".join(key), number, "SD-KEY",
                                 f"duplicates the key of row {seen[value]}"))
        seen.setdefault(value, number)
    return found


def _term(ds: Dataset, variable: str, number: int, value: object, allowed: tuple[str, ...], extensible: bool,
          codelist: str) -> list[Finding]:
    if _empty(value) or value in allowed:
        return []
    return [Finding(ds.name, variable, number, "SD-CT", f"'{value}' is not in the {codelist} codelist",
                    "warning" if extensible else "error")]


_EPOCHS = (EPOCH_TERMS + EPOCH_EXTENSIONS, True, "EPOCH")
SUBJECT_CODELISTS: dict[tuple[str, str], tuple[tuple[str, ...], bool, str]] = {
    ("DM", "SEX"): (("M", "F", "U", "UNDIFFERENTIATED"), False, "SEX (C66731)"),
    ("DM", "AGEU"): (("YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS"), False, "AGEU (C66781)"),
    ("DM", "DTHFL"): (("Y",), False, "NY (C66742), Y only"),
    ("DM", "ARMNRS"): (ARM_NULL_REASONS, True, "ARMNRS (C142179)"),
    ("DM", "COUNTRY"): (tuple(sorted(COUNTRY_TERMS)), True, "ISO 3166-1 alpha-3 (known to this system)"),
    ("DS", "DSCAT"): (DISPOSITION_CATEGORIES, False, "DSCAT (C74558)"),
    ("DS", "DSDECOD"): (DSDECOD_TERMS, True, "NCOMPLT (C66727) / protocol milestones (C114118)"),
    ("EX", "EXROUTE"): (tuple(term for _, term, _ in ROUTES), True, "ROUTE (C66729)"),
    ("EX", "EXDOSFRM"): (("AEROSOL", "SOLUTION", "SUSPENSION", "INJECTION", "TABLET"), True, "FRM (C66726)"),
    ("EX", "EXDOSFRQ"): (("QD", "BID", "ONCE"), True, "FREQ (C71113)"),
    ("AE", "AETOXGR"): (TOXICITY_GRADES, False, "CTCAE v5.0 grade"),
    ("AE", "AEREL"): (tuple(CAUSALITY.values()), False, "AEREL (sponsor-defined)"),
    ("AE", "AEOUT"): (OUTCOME_TERMS, False, "OUT (C66768)"),
    ("VS", "VSTESTCD"): (tuple(code for code, _, _ in VITAL_SIGNS.values()), True, "VSTESTCD (C66741)"),
    ("VS", "VSORRESU"): (VS_UNITS, True, "VSRESU (C66770)"),
    ("VS", "VSSTRESU"): (VS_UNITS, True, "VSRESU (C66770)"),
    ("VS", "VSLOBXFL"): (("Y",), False, "NY (C66742), Y only"),
    ("LB", "LBTESTCD"): (LB_TEST_CODES, True, "LBTESTCD (C65047)"),
    ("LB", "LBLOBXFL"): (("Y",), False, "NY (C66742), Y only"),
    ("SV", "SVOCCUR"): (NO_YES_TERMS, False, "NY (C66742)"),
    **{("AE", flag): (NO_YES_TERMS, False, "NY (C66742)")
       for flag in ("AESER", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESMIE")},
    **{(domain, "EPOCH"): _EPOCHS for domain in ("DS", "EX", "AE", "VS", "LB", "SV")},
}
"""(domain, variable) -> (allowed terms, extensible?, codelist) for the subject-level domains."""


def _subject_terms(ds: Dataset) -> list[Finding]:
    found: list[Finding] = []
    names = {v.name for v in ds.variables} | {name for row in ds.rows[:1] for name in row}
    dates = [name for name in names if name.endswith("DTC")]
    coded = [(name, SUBJECT_CODELISTS[(ds.name, name)]) for name in names if (ds.name, name) in SUBJECT_CODELISTS]
    for number, row in enumerate(ds.rows, start=1):
        for name in dates:
            value = row.get(name)
            if not _empty(value) and not is_iso8601_date(str(value)):
                found.append(Finding(ds.name, name, number, "SD-ISO8601", "not an ISO 8601 date/time"))
        for name, (allowed, extensible, codelist) in coded:
            value = row.get(name)
            if not _empty(value) and value not in allowed:
                found += _term(ds, name, number, value, allowed, extensible, codelist)
    return found


def _terminology(ds: Dataset) -> list[Finding]:
    if ds.name in SUBJECT_DOMAINS:
        return _subject_terms(ds)
    found: list[Finding] = []
    for number, row in enumerate(ds.rows, start=1):
        if ds.name == "TI":
            found += _term(ds, "IECAT", number, row.get("IECAT"), IE_CATEGORIES, False, "IECAT")
        if ds.name == "TA":
            epochs = EPOCH_TERMS + EPOCH_EXTENSIONS
            found += _term(ds, "EPOCH", number, row.get("EPOCH"), epochs, True, "EPOCH")
        if ds.name == "TE" and not _empty(row.get("TEDUR")) and not is_iso8601_duration(str(row["TEDUR"])):
            found.append(Finding("TE", "TEDUR", number, "SD-ISO8601", "not an ISO 8601 duration"))
        if ds.name == "TS":
            found += _trial_summary_row(ds, number, row)
    return found


def _trial_summary_row(ds: Dataset, number: int, row: Mapping[str, object]) -> list[Finding]:
    found: list[Finding] = []
    code, value, null_flavor = row.get("TSPARMCD"), row.get("TSVAL"), row.get("TSVALNF")
    if _empty(value) == _empty(null_flavor):
        found.append(Finding("TS", "TSVAL", number, "TS-VALUE", "give exactly one of TSVAL and TSVALNF"))
    found += _term(ds, "TSVALNF", number, null_flavor, NULL_FLAVORS, False, "ISO 21090 null flavor")
    if code not in TS_PARAMETERS:
        return [*found, Finding("TS", "TSPARMCD", number, "SD-CT", f"'{code}' is not a known TS parameter")]
    expected = TS_PARAMETERS[str(code)]
    if row.get("TSPARM") != expected:
        found.append(Finding("TS", "TSPARM", number, "SD-CT", f"must be '{expected}' for {code}"))
    if str(code) in TS_CODELISTS:
        allowed, extensible = TS_CODELISTS[str(code)]
        found += _term(ds, "TSVAL", number, value, allowed, extensible, str(code))
    if not _empty(value) and code in TS_DATES and not is_iso8601_date(str(value)):
        found.append(Finding("TS", "TSVAL", number, "SD-ISO8601", f"{code} is not an ISO 8601 date"))
    if not _empty(value) and code in TS_DURATIONS and not is_iso8601_duration(str(value)):
        found.append(Finding("TS", "TSVAL", number, "SD-ISO8601", f"{code} is not an ISO 8601 duration"))
    return found


def _cross(datasets: Mapping[str, Dataset]) -> list[Finding]:
    found: list[Finding] = []
    ta, te, tv, ts = (datasets.get(name) for name in ("TA", "TE", "TV", "TS"))
    if ta is not None and te is not None:
        elements = set(te.column("ETCD"))
        for number, code in enumerate(ta.column("ETCD"), start=1):
            if code not in elements:
                found.append(Finding("TA", "ETCD", number, "TA-TE", f"element {code} is not defined in TE"))
    if ta is not None and tv is not None:
        arms = set(ta.column("ARMCD"))
        for number, arm in enumerate(tv.column("ARMCD"), start=1):
            if not _empty(arm) and arm not in arms:
                found.append(Finding("TV", "ARMCD", number, "TV-TA", f"arm {arm} is not an arm of TA"))
    if ts is not None:
        present = set(ts.column("TSPARMCD"))
        found += [Finding("TS", "TSPARMCD", None, "TS-PARM", f"required parameter {code} missing")
                  for code in TS_REQUIRED if code not in present]
    return found + _subject_cross(datasets)


def _subject_cross(datasets: Mapping[str, Dataset]) -> list[Finding]:
    found: list[Finding] = []
    dm, ta, tv = datasets.get("DM"), datasets.get("TA"), datasets.get("TV")
    subjects = set(dm.column("USUBJID")) if dm is not None else None
    planned = {v for v in tv.column("VISITNUM")} if tv is not None else None
    for name in SUBJECT_DOMAINS:
        ds = datasets.get(name)
        if ds is None:
            continue
        for number, row in enumerate(ds.rows, start=1):
            if subjects is not None and name != "DM" and row.get("USUBJID") not in subjects:
                found.append(Finding(name, "USUBJID", number, "SD-USUBJID", "subject is not in DM"))
            visit = row.get("VISITNUM")
            if planned is not None and isinstance(visit, int | float) and visit <= UNPLANNED_VISITNUM \
                    and visit not in planned:
                found.append(Finding(name, "VISITNUM", number, "SD-VISITNUM", f"visit {visit} is not in TV"))
    if dm is not None and ta is not None:
        arms = {code: label for code, label in zip(ta.column("ARMCD"), ta.column("ARM"), strict=True)}
        for number, row in enumerate(dm.rows, start=1):
            for code_var, label_var in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
                code = row.get(code_var)
                if _empty(code) or (code == MASKED_ARM and row.get(label_var) == MASKED_ARM):
                    continue
                if code not in arms or row.get(label_var) != arms[code]:
                    found.append(Finding("DM", code_var, number, "DM-TA", f"arm {code} is not an arm of TA"))
    return found


def check_datasets(datasets: Mapping[str, Dataset]) -> list[Finding]:
    """Every finding of the rules above over ``datasets`` (keyed by domain), errors and warnings."""
    found: list[Finding] = []
    for ds in datasets.values():
        found += _structure(ds) + _values(ds) + _keys(ds) + _terminology(ds)
    return found + _cross(datasets)


def ensure_conformant(datasets: Mapping[str, Dataset]) -> list[Finding]:
    """Raise ``ValidationErrors`` (field ``TS.TSVAL[row 3]``, rule ``SD-CT: ...``) when any error is found;
    otherwise return the warnings."""
    findings = check_datasets(datasets)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ValidationErrors([ValidationError(f.field, f"{f.rule}: {f.message}") for f in errors])
    return findings
