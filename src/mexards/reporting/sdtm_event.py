"""SDTM subject-level datasets, part 2: exposure (EX) and adverse events (AE).

EX (SDTMIG 3.4 section 6.1.3) has one row per administration given or interrupted; a missed dose is not an
exposure and is left out (it stays in the ODM dosing log). Treatment and dose:

- Phase 1 (open label): ``EXTRT`` = the dose level's intervention, ``EXDOSE`` = the particles given,
  ``EXDOSU`` = PARTICLES;
- Phase 2, masked (before database lock or for a blinded role): ``EXTRT`` = STUDY DRUG, ``EXDOSE`` = the
  volume given in mL, the kit code in ``EXREFID`` (BLD-2: a masked record shows study drug, kit and volume);
- Phase 2, unblinded (locked database, unblinded role): the allocated arm's intervention and its daily dose in
  particles (0 for placebo), as the sealed list and the declared MTD give it.

``EXROUTE`` is the CDISC route term of the intervention (C66729), ``EXDOSFRQ`` QD for a daily schedule.

AE (section 6.2.1): ``AEDECOD`` and ``AEBODSYS`` are the CTCAE v5.0 term and its MedDRA system organ class
(``mexards.services.results.system_organ_class``; an uncoded term keeps its verbatim text and has no body
system); ``AETOXGR`` the CTCAE grade; ``AESER`` and the six seriousness flags from the ICH E2A criteria;
``AEREL`` the investigator's causality (sponsor codelist :data:`~mexards.reporting.terminology.CAUSALITY`;
null while not assessed); ``AEOUT`` FATAL for a grade 5 event, RECOVERED/RESOLVED when a resolution time is
recorded, else NOT RECOVERED/NOT RESOLVED (ongoing at the data cut). ``AEACN`` is not collected by the AE
record and is null.
"""

from __future__ import annotations

from mexards.domain.administration import Administration
from mexards.domain.adverse_event import SeriousnessCriterion
from mexards.reporting.dataset import Dataset, Value
from mexards.reporting.sdtm_subject import SubjectContext, dtc, numbered, subject_dataset
from mexards.reporting.terminology import CAUSALITY, DOSE_FORM, EXTRT_MASKED, route_term
from mexards.services.results import NOT_CODED, system_organ_class

_FLAGS = (("AESCONG", SeriousnessCriterion.CONGENITAL_ANOMALY), ("AESDISAB", SeriousnessCriterion.DISABILITY),
          ("AESDTH", SeriousnessCriterion.DEATH), ("AESHOSP", SeriousnessCriterion.HOSPITALISATION),
          ("AESLIFE", SeriousnessCriterion.LIFE_THREATENING),
          ("AESMIE", SeriousnessCriterion.IMPORTANT_MEDICAL_EVENT))


def _treatment(ctx: SubjectContext, given: Administration) -> tuple[str, float | None, str | None, str]:
    """(EXTRT, EXDOSE, EXDOSU, route text) of one administration, masked as the records require."""
    person = ctx.people[given.participant_id]
    arm_id = ctx.arm_of(person)
    if arm_id is None:
        volume = float(given.volume_ml) if given.volume_ml is not None else None
        route = ctx.protocol.interventions[0].route if ctx.protocol.interventions else ""
        return EXTRT_MASKED, volume, "mL" if volume is not None else None, route
    item = ctx.protocol.intervention(ctx.protocol.arm(arm_id).interventions[0])
    if given.dose_particles is not None:
        return item.name, float(given.dose_particles), "PARTICLES", item.route
    daily = ctx.records.arm_dose_particles.get(arm_id)
    if daily is not None:
        return item.name, float(daily), "PARTICLES", item.route
    volume = float(given.volume_ml) if given.volume_ml is not None else None
    return item.name, volume, "mL" if volume is not None else None, item.route


def exposure(ctx: SubjectContext) -> Dataset:
    """EX: one row per dose given or interrupted."""
    rows: list[dict[str, Value]] = []
    day_visit = {v.day: v.id for v in (ctx.protocol.schedule.visits if ctx.protocol.schedule else ())}
    for given in sorted(ctx.records.administrations, key=lambda a: (a.participant_id, a.study_day.value)):
        if given.status.value == "missed" or given.participant_id not in ctx.people:
            continue
        pid = given.participant_id
        treatment, dose, unit, route = _treatment(ctx, given)
        code = day_visit.get(given.study_day.value)
        number, label = ctx.visit(code) if code else (None, None)
        start = given.started_at
        rows.append({
            "STUDYID": ctx.studyid, "DOMAIN": "EX", "USUBJID": ctx.usubjid(pid), "EXSEQ": 0,
            "EXREFID": given.kit_code, "EXTRT": treatment, "EXDOSE": dose, "EXDOSU": unit,
            "EXDOSFRM": DOSE_FORM if route_term(route)[0] == "RESPIRATORY (INHALATION)" else None,
            "EXDOSFRQ": "QD", "EXROUTE": route_term(route)[0] if route else None,
            "EXADJ": (given.reason or "Interrupted")[:200] if given.status.value == "interrupted" else None,
            "VISITNUM": number, "VISIT": label, "EPOCH": ctx.epoch(pid, start), "EXSTDTC": dtc(start),
            "EXENDTC": dtc(given.ended_at), "EXSTDY": ctx.study_day(pid, start),
            "EXENDY": ctx.study_day(pid, given.ended_at),
        })
    return subject_dataset("EX", numbered(rows, "EXSEQ"))


def adverse_events(ctx: SubjectContext) -> Dataset:
    """AE: one row per adverse event, in order of onset within each participant."""
    rows: list[dict[str, Value]] = []
    for event in sorted(ctx.records.adverse_events, key=lambda e: (e.participant_id, e.onset_at,
                                                                     e.adverse_event_id)):
        pid = event.participant_id
        soc = system_organ_class(event.term)
        serious = event.is_serious
        grade = int(event.ctcae_grade)
        outcome = ("FATAL" if grade == 5 else "RECOVERED/RESOLVED" if event.resolved_at is not None
                   else "NOT RECOVERED/NOT RESOLVED")
        row: dict[str, Value] = {
            "STUDYID": ctx.studyid, "DOMAIN": "AE", "USUBJID": ctx.usubjid(pid), "AESEQ": 0,
            "AETERM": event.term, "AEDECOD": event.term, "AEBODSYS": None if soc == NOT_CODED else soc,
            "AESER": "Y" if serious else "N", "AEACN": None, "AEREL": CAUSALITY.get(event.relatedness.value),
            "AEOUT": outcome, "AETOXGR": str(grade), "EPOCH": ctx.epoch(pid, event.onset_at),
            "AESTDTC": dtc(event.onset_at), "AEENDTC": dtc(event.resolved_at),
            "AESTDY": ctx.study_day(pid, event.onset_at), "AEENDY": ctx.study_day(pid, event.resolved_at),
        }
        for name, criterion in _FLAGS:
            row[name] = ("Y" if criterion in event.seriousness else "N") if serious else None
        rows.append(row)
    return subject_dataset("AE", numbered(rows, "AESEQ"))
