"""SDTM trial design datasets (TS, TA, TE, TV, TI) built from a protocol (SDTMIG 3.4 section 7).

The seamless Phase 1/2 structure (edc-and-standards.md 3.2): every arm starts with the screening element; a
Phase 1 arm (one per dose level, non-randomised) then has its treatment element in the ``DOSE ESCALATION``
epoch, a randomised Phase 2 arm in ``BLINDED TREATMENT`` (``TREATMENT`` when not masked); all end with a
``FOLLOW-UP`` element when visits follow the last administration. ``TABRANCH`` on the screening row states how
a participant reaches the arm (assignment to a dose level by the escalation rule, or randomisation). The
treatment elements' start and end rules never name a product, so they stay arm-neutral for blinded elements
(CDISC TE guidance).

Conventions:
- ``STUDYID`` is the sponsor's study id, else the registry id.
- SDTM has no Day 0 (SDTMIG 3.4 section 4.4.4): protocol day 0 (the day before Day 1) is ``VISITDY`` -1.
- Durations are ISO 8601 (``P7D``, ``P18Y``); a missing maximum age is null flavor ``PINF`` and any other
  parameter the protocol does not state is ``UNK`` (SDTMIG 3.4 section 7.4.2 assumptions).
- A TS value longer than 200 characters continues in ``TSVAL1``, ``TSVAL2``, ... (SDTMIG 3.4 section 7.4.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mexards.protocol.model import Arm, Intervention, Protocol
from mexards.reporting.dataset import DOMAIN_LABELS, DOMAIN_VARIABLES, Dataset, Value, Variable
from mexards.reporting.terminology import (
    BLINDING,
    INTERVENTION_MODEL,
    NO_YES,
    SEX_POPULATION,
    STUDY_TYPE,
    TRIAL_PHASE,
    TS_PARAMETERS,
    route_term,
)

MAX_CHARS = 200
"""Longest character value in a SAS V5 transport file."""
SCREENING_ETCD = "SCRN"
FOLLOW_UP_ETCD = "FU"
_SAFETY_WORDS = ("adverse", "toxicity", "safety", "dose-limiting")
_TOLERABILITY_WORDS = ("tolerab", "toleran")
_ADD_ON_WORDS = ("basic treatment", "standard of care", "standard care", "on top of", "add-on",
                 "in addition to")


def study_id(protocol: Protocol) -> str:
    """``STUDYID``: the sponsor's study id when given, else the registry id."""
    return protocol.identification.org_study_id or protocol.identification.registry_id


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at a space where possible; joining the pieces
    gives back the text."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit)
        cut = limit if cut <= 0 else cut + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, ending in ``...`` when cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 3)
    return text[: cut if cut > 0 else limit - 3].rstrip(" ,;:") + "..."


def _code(text: str, limit: int) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", text.upper())[:limit]


def arm_codes(protocol: Protocol) -> dict[str, str]:
    """Arm id -> ``ARMCD`` (upper-cased id, at most 20 characters; ``ARMnn`` if that would clash)."""
    codes: dict[str, str] = {}
    for n, arm in enumerate(protocol.arms, start=1):
        code = _code(arm.id, 20)
        codes[arm.id] = code if code and code not in codes.values() else f"ARM{n:02d}"
    return codes


def _is_investigational(item: Intervention) -> bool:
    return item.dose.placebo is None


def _dose_text(item: Intervention) -> str:
    dose = item.dose
    if dose.particles is not None:
        return f"{dose.particles:.1e} particles".replace("e+0", "e").replace("e+", "e")
    if dose.cells_per_kg is not None:
        return f"{dose.cells_per_kg.normalize():f} cells/kg"
    if dose.fraction_of_mtd is not None:
        return "the MTD" if dose.fraction_of_mtd == 1 else f"{dose.fraction_of_mtd.normalize():f} x MTD"
    return f"placebo ({dose.placebo})"


@dataclass(frozen=True)
class _Element:
    code: str
    name: str
    start_rule: str
    end_rule: str
    duration: str


def _days_span(days: tuple[int, ...]) -> int:
    return max(days) - min(days) + 1


def _treatment_elements(protocol: Protocol) -> dict[tuple[str, ...], _Element]:
    day_one = protocol.schedule.day_one if protocol.schedule else "first administration"
    elements: dict[tuple[str, ...], _Element] = {}
    used = {SCREENING_ETCD, FOLLOW_UP_ETCD}
    for arm in protocol.arms:
        if arm.interventions in elements:
            continue
        items = [protocol.intervention(i) for i in arm.interventions]
        code = _code("".join(re.sub(r"[^A-Za-z0-9]", "", i) for i in arm.interventions), 8)
        if not code or code in used:
            code = f"TRT{len(elements) + 1:02d}"
        used.add(code)
        days = tuple(sorted({d for item in items for d in item.schedule_days}))
        name = "; ".join(f"{item.name}, {_dose_text(item)}, {item.route}" for item in items)
        elements[arm.interventions] = _Element(
            code, shorten(name),
            shorten(f"Start of the first administration of study product on Day 1 ({day_one})"),
            f"End of Day {max(days)}, after the last scheduled administration", f"P{_days_span(days)}D")
    return elements


def _last_dose_day(protocol: Protocol) -> int:
    return max(d for item in protocol.interventions for d in item.schedule_days)


def _follow_up(protocol: Protocol) -> _Element | None:
    visits = protocol.schedule.visits if protocol.schedule else ()
    last_dose, last_visit = _last_dose_day(protocol), max((v.day for v in visits), default=0)
    if last_visit <= last_dose:
        return None
    return _Element(FOLLOW_UP_ETCD, "Follow-up",
                    f"Start of Day {last_dose + 1}, after the last administration",
                    f"End of the Day {last_visit} visit", f"P{last_visit - last_dose}D")


def _arm_stage(protocol: Protocol, arm: Arm) -> str:
    randomised = protocol.phase2 is not None and arm.id in protocol.phase2.arms
    if arm.phase == 1 or (arm.dose_level is not None and not randomised):
        return "phase1"
    if randomised or protocol.identification.design.allocation == "RANDOMIZED":
        return "randomised"
    return "assigned"


def _masked(protocol: Protocol) -> bool:
    return protocol.identification.design.masking not in ("", "NONE")


def _rows(dataset: str, rows: list[dict[str, Value]]) -> Dataset:
    return Dataset(dataset, DOMAIN_LABELS[dataset], DOMAIN_VARIABLES[dataset], tuple(rows))


def trial_elements(protocol: Protocol) -> Dataset:
    """TE: screening, one treatment element per distinct set of interventions, and follow-up."""
    sid = study_id(protocol)
    elements = [_Element(SCREENING_ETCD, "Screening", "Informed consent",
                         "Start of the first administration of study product on Day 1", "")]
    elements += list(_treatment_elements(protocol).values())
    follow_up = _follow_up(protocol)
    if follow_up:
        elements.append(follow_up)
    return _rows("TE", [{"STUDYID": sid, "DOMAIN": "TE", "ETCD": e.code, "ELEMENT": e.name,
                         "TESTRL": e.start_rule, "TEENRL": e.end_rule, "TEDUR": e.duration or None}
                        for e in elements])


def trial_arms(protocol: Protocol) -> Dataset:
    """TA: each arm's path through the elements, the branch into the arm and the epoch of each element."""
    sid, codes = study_id(protocol), arm_codes(protocol)
    treatments, follow_up = _treatment_elements(protocol), _follow_up(protocol)
    rows: list[dict[str, Value]] = []
    for arm in protocol.arms:
        stage = _arm_stage(protocol, arm)
        if stage == "phase1":
            level = protocol.dose_level(arm.dose_level) if arm.dose_level else None
            target = f"dose level {level.id} ({level.label})" if level else arm.label
            branch = f"Assigned to {target} by the dose-escalation rule"
            epoch = "DOSE ESCALATION"
        elif stage == "randomised":
            branch = f"Randomized to {arm.label}"
            epoch = "BLINDED TREATMENT" if _masked(protocol) else "TREATMENT"
        else:
            branch, epoch = f"Assigned to {arm.label}", "TREATMENT"
        treatment = treatments[arm.interventions]
        path = [(SCREENING_ETCD, "Screening", shorten(branch), "SCREENING"),
                (treatment.code, treatment.name, None, epoch)]
        if follow_up:
            path.append((follow_up.code, follow_up.name, None, "FOLLOW-UP"))
        for order, (code, element, tabranch, ep) in enumerate(path, start=1):
            rows.append({"STUDYID": sid, "DOMAIN": "TA", "ARMCD": codes[arm.id], "ARM": shorten(arm.label),
                         "TAETORD": order, "ETCD": code, "ELEMENT": element, "TABRANCH": tabranch,
                         "TATRANS": None, "EPOCH": ep})
    return _rows("TA", rows)


def study_day(protocol_day: int) -> int:
    """SDTM study day of a protocol day: days before Day 1 count -1, -2, ... (no Day 0)."""
    return protocol_day if protocol_day >= 1 else protocol_day - 1


def trial_visits(protocol: Protocol) -> Dataset:
    """TV: one row per scheduled visit (the same schedule for every arm, so ``ARMCD`` is null)."""
    sid = study_id(protocol)
    rows: list[dict[str, Value]] = []
    for number, visit in enumerate(protocol.schedule.visits if protocol.schedule else (), start=1):
        first = study_day(visit.day - visit.window_before_days)
        last = study_day(visit.day + visit.window_after_days)
        window = f" (window Day {first} to Day {last})" if first != last else ""
        rows.append({"STUDYID": sid, "DOMAIN": "TV", "VISITNUM": number, "VISIT": shorten(visit.label),
                     "VISITDY": study_day(visit.day), "ARMCD": None, "ARM": None,
                     "TVSTRL": f"Start of Day {study_day(visit.day)}{window}",
                     "TVENRL": f"End of Day {last}"})
    return _rows("TV", rows)


def trial_criteria(protocol: Protocol) -> Dataset:
    """TI: the registered criteria, ``IETESTCD`` = the criterion id (I1.., E1..)."""
    sid = study_id(protocol)
    rows: list[dict[str, Value]] = []
    for category, criteria in (("INCLUSION", protocol.eligibility.inclusion),
                               ("EXCLUSION", protocol.eligibility.exclusion)):
        for criterion in criteria:
            rows.append({"STUDYID": sid, "DOMAIN": "TI", "IETESTCD": _code(criterion.id, 8),
                         "IETEST": shorten(" ".join(criterion.text.split())), "IECAT": category,
                         "IESCAT": None, "TIRL": None, "TIVERS": None})
    return _rows("TI", rows)


Parameter = tuple[str, str | None, str | None, str | None, str | None]
"""(TSPARMCD, TSVAL, TSVALNF, TSVALCD, TSVCDREF)."""


def _coded(code: str, term_code: tuple[str, str] | None, nf: str = "UNK") -> Parameter:
    if term_code is None:
        return (code, None, nf, None, None)
    term, concept = term_code
    return (code, term, None, concept or None, "CDISC CT")


def _text_param(code: str, value: str | None, ref: str | None = None, nf: str = "UNK") -> Parameter:
    return (code, value, None, None, ref) if value else (code, None, nf, None, None)


def _years(age: int | None) -> str | None:
    return None if age is None else f"P{age}Y"


def _trial_types(protocol: Protocol) -> list[str]:
    primary = [o.measure.lower() for o in protocol.outcomes if o.kind == "primary"]
    types: list[str] = []
    for measure in primary:
        kind = ("TOLERABILITY" if any(w in measure for w in _TOLERABILITY_WORDS)
                else "SAFETY" if any(w in measure for w in _SAFETY_WORDS) else "EFFICACY")
        if kind not in types:
            types.append(kind)
    return types


def _control_type(protocol: Protocol) -> str:
    kinds = {arm.kind for arm in protocol.arms}
    if "PLACEBO_COMPARATOR" in kinds or "SHAM_COMPARATOR" in kinds:
        return "PLACEBO"
    if "ACTIVE_COMPARATOR" in kinds:
        return "ACTIVE"
    return "NONE"


def _add_on(protocol: Protocol) -> tuple[str, str] | None:
    texts = [protocol.identification.summary, *(i.description for i in protocol.interventions)]
    text = " ".join(texts).lower()
    if any(word in text for word in _ADD_ON_WORDS):
        return NO_YES[True]
    return NO_YES[False] if protocol.identification.healthy_volunteers else None


def _dosing(protocol: Protocol) -> list[Parameter]:
    """DOSE, DOSU, DOSFRQ when every investigational intervention has the same fixed dose and schedule."""
    items = [i for i in protocol.interventions if _is_investigational(i)]
    doses = {(i.dose.particles, i.dose.cells_per_kg) for i in items}
    schedules = {i.schedule_days for i in items}
    params: list[Parameter] = []
    if len(doses) == 1 and items and items[0].dose.fraction_of_mtd is None:
        particles, cells = doses.pop()
        if particles is not None:
            params += [("DOSE", str(particles), None, None, None), ("DOSU", "particles", None, None, None)]
        elif cells is not None:
            params += [("DOSE", f"{cells.normalize():f}", None, None, None),
                       ("DOSU", "cells/kg", None, None, None)]
    if len(schedules) == 1 and items:
        days = schedules.pop()
        if len(days) == 1:
            params.append(("DOSFRQ", "ONCE", None, None, "CDISC CT"))
        elif list(days) == list(range(days[0], days[-1] + 1)):
            params.append(("DOSFRQ", "QD", None, None, "CDISC CT"))
    return params


def _parameters(protocol: Protocol) -> list[Parameter]:
    ident, design = protocol.identification, protocol.identification.design
    investigational = [i for i in protocol.interventions if _is_investigational(i)]
    params: list[Parameter] = [_text_param("TITLE", ident.official_title or ident.brief_title)]
    if ident.acronym:
        params.append(_text_param("ACRONYM", ident.acronym))
    params += [
        ("REGID", ident.registry_id, None, ident.registry_id, "ClinicalTrials.gov"),
        _text_param("SPONSOR", ident.sponsor.name),
        _coded("TPHASE", TRIAL_PHASE.get(ident.phase)),
    ]
    types = [("TTYPE", t, None, None, "CDISC CT") for t in _trial_types(protocol)]
    params += types or [_text_param("TTYPE", None)]
    random = {"RANDOMIZED": NO_YES[True], "NON_RANDOMIZED": NO_YES[False]}.get(design.allocation)
    params += [
        _coded("STYPE", STUDY_TYPE.get(ident.study_type)),
        _coded("INTMODEL", INTERVENTION_MODEL.get(design.model)),
        _coded("RANDOM", random, "NA" if design.allocation == "NA" else "UNK"),
        _coded("TBLIND", BLINDING.get(design.masking)),
        ("TCNTRL", _control_type(protocol), None, None, "CDISC CT"),
        ("NARMS", str(len(protocol.arms)), None, None, None),
        _text_param("PLANSUB", None if ident.enrollment.planned is None else str(ident.enrollment.planned)),
    ]
    if ident.enrollment.actual is not None:
        params.append(("ACTSUB", str(ident.enrollment.actual), None, None, None))
    params += [
        _text_param("AGEMIN", _years(ident.min_age_years), "ISO 8601"),
        _text_param("AGEMAX", _years(ident.max_age_years), "ISO 8601", nf="PINF"),
        _coded("SEXPOP", SEX_POPULATION.get(ident.sex)),
        _coded("HLTSUBJI", NO_YES[ident.healthy_volunteers]),
        _coded("ADDON", _add_on(protocol)),
        _coded("ADAPT", NO_YES[protocol.phase1 is not None]),
    ]
    params += [_text_param("INDIC", condition) for condition in protocol.conditions]
    products = dict.fromkeys(i.product or i.name for i in investigational)
    params += [_text_param("TRT", product) for product in products] or [_text_param("TRT", None)]
    routes = dict.fromkeys(route_term(i.route) for i in investigational)
    params += [_coded("ROUTE", route) for route in routes] or [_coded("ROUTE", None)]
    params += _dosing(protocol)
    for kind, code in (("primary", "OUTMSPRI"), ("secondary", "OUTMSSEC"), ("exploratory", "OUTMSEXP")):
        params += [_text_param(code, o.measure) for o in protocol.outcomes if o.kind == kind]
    visits = protocol.schedule.visits if protocol.schedule else ()
    if visits:
        span = max(v.day for v in visits) - min(v.day for v in visits) + 1
        params.append(_text_param("LENGTH", f"P{span}D", "ISO 8601"))
    params += [_text_param("SSTDTC", ident.dates.start, "ISO 8601"),
               _text_param("SENDTC", ident.dates.completion, "ISO 8601"),
               ("SDTIGVER", "3.4", None, None, None)]
    return params


def trial_summary(protocol: Protocol) -> Dataset:
    """TS: one row per parameter value; values over 200 characters continue in TSVAL1, TSVAL2, ..."""
    sid = study_id(protocol)
    rows: list[dict[str, Value]] = []
    sequence: dict[str, int] = {}
    overflow = 0
    for code, value, null_flavor, value_code, reference in _parameters(protocol):
        sequence[code] = sequence.get(code, 0) + 1
        pieces = split_text(value) if value else [None]
        overflow = max(overflow, len(pieces) - 1)
        row: dict[str, Value] = {"STUDYID": sid, "DOMAIN": "TS", "TSSEQ": sequence[code], "TSGRPID": None,
                                 "TSPARMCD": code, "TSPARM": TS_PARAMETERS[code], "TSVAL": pieces[0],
                                 "TSVALNF": null_flavor, "TSVALCD": value_code, "TSVCDREF": reference,
                                 "TSVCDVER": None}
        for n, piece in enumerate(pieces[1:], start=1):
            row[f"TSVAL{n}"] = piece
        rows.append(row)
    variables = list(DOMAIN_VARIABLES["TS"])
    position = [v.name for v in variables].index("TSVAL") + 1
    variables[position:position] = [Variable(f"TSVAL{n}", f"Parameter Value {n}", "Char", "Perm")
                                    for n in range(1, overflow + 1)]
    return Dataset("TS", DOMAIN_LABELS["TS"], tuple(variables), tuple(rows))


def trial_design_datasets(protocol: Protocol) -> dict[str, Dataset]:
    """TS, TA, TE, TV and TI for ``protocol``, keyed by domain."""
    return {"TS": trial_summary(protocol), "TA": trial_arms(protocol), "TE": trial_elements(protocol),
            "TV": trial_visits(protocol), "TI": trial_criteria(protocol)}
