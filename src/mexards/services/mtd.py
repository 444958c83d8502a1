"""Closing Phase 1: the MTD declaration, signed by the statistician (authorship) and approved by the
principal investigator, after which the trial moves to Phase 2 at quarter-MTD and MTD.

Each signature is a 21 CFR Part 11 signature (printed name, date and time, meaning; 11.50) bound to the
SHA-256 of the canonical content of the declaration (11.70), given only after the signer re-entered their
credentials (11.200(a)(1)); see :mod:`mexards.domain.signature`. The declared MTD is the protocol design's
selection from the reviewed cohorts (``edc-and-standards.md`` RND-9); the evidence per dose level is the count
of DLT-evaluable participants and DLTs.
"""

from __future__ import annotations

from mexards.domain.cohort import CohortState
from mexards.domain.errors import ConflictError, PermissionDeniedError
from mexards.domain.event import DomainEvent
from mexards.domain.mtd import DoseLevelEvidence, MTDDeclaration
from mexards.domain.role import Actor, Role
from mexards.domain.signature import SignatureMeaning
from mexards.domain.trial import TrialPhase
from mexards.protocol.model import Protocol
from mexards.services.escalation import dose_levels, recommendation_for
from mexards.services.operation import checked_protocol, editable_trial, new_id, operation, record
from mexards.services.policy import Action, require_reauthentication
from mexards.services.port import Reauthentication, UnitOfWork


def declare_mtd(
    uow: UnitOfWork,
    actor: Actor,
    protocol: Protocol,
    *,
    rationale: str,
    printed_name: str,
    reauthentication: Reauthentication,
) -> MTDDeclaration:
    """The statistician declares the design's MTD (or that no dose is tolerable) and signs it (authorship).

    Refused while a cohort is not reviewed or while the design would still continue escalation."""
    with operation(uow, actor, Action.DECLARE_MTD) as u:
        trial = editable_trial(u)
        checked_protocol(trial, protocol)
        now = u.clock.now()
        require_reauthentication(actor, reauthentication, now)
        if trial.phase is not TrialPhase.PHASE1:
            raise ConflictError("the trial is no longer in Phase 1")
        cohorts = u.cohorts.list()
        pending = [c.cohort_number for c in cohorts if c.state is not CohortState.REVIEWED]
        if pending:
            raise ConflictError(f"cohorts {pending} must be reviewed before the MTD is declared")
        if any(d.signatures and d.mtd is not None for d in u.mtd_declarations.list()):
            raise ConflictError("an MTD has already been declared")
        recommendation = recommendation_for(u, protocol)
        if recommendation.decision is None:
            raise ConflictError("no cohort has been reviewed, so there is no evidence for an MTD")
        if recommendation.should_continue:
            raise ConflictError(f"the design has not finished: {recommendation.reason}")
        decision = recommendation.decision
        levels = dose_levels(protocol)
        evidence = tuple(
            DoseLevelEvidence(levels[i], n, y)
            for i, (n, y) in enumerate(zip(decision.n_at_dose, decision.tox_at_dose, strict=True))
            if n > 0
        )
        declaration = MTDDeclaration(
            new_id(u, "MTD"), trial.protocol_id, trial.protocol_version, recommendation.mtd,
            recommendation.design, evidence, rationale, actor.user_id, now,
        )  # fmt: skip
        signed = declaration.sign(
            signer=actor.user_id, printed_name=printed_name, role=actor.role,
            meaning=SignatureMeaning.AUTHORSHIP, signed_at=now,
        )  # fmt: skip
        u.mtd_declarations.add(declaration)
        record(u, declaration.declared_event(), signed)
        u.commit()
    return declaration


def approve_mtd(
    uow: UnitOfWork,
    actor: Actor,
    declaration_id: str,
    *,
    printed_name: str,
    reauthentication: Reauthentication,
) -> MTDDeclaration:
    """The principal investigator approves (signs) the declaration; with an MTD the trial enters Phase 2,
    whose doses are a quarter of the MTD and the MTD (``clinical-examples.md`` X02)."""
    with operation(uow, actor, Action.APPROVE_MTD) as u:
        trial = editable_trial(u)
        now = u.clock.now()
        require_reauthentication(actor, reauthentication, now)
        declaration = u.mtd_declarations.get(declaration_id)
        authored = [
            s for s in declaration.signatures
            if s.meaning is SignatureMeaning.AUTHORSHIP and s.role is Role.STATISTICIAN
        ]  # fmt: skip
        if not authored or not declaration.signatures_verify():
            raise ConflictError("the declaration needs the statistician's valid signature before approval")
        if any(s.signer == actor.user_id for s in declaration.signatures):
            raise PermissionDeniedError("the approver must not be a signer of the declaration already")
        signed = declaration.sign(
            signer=actor.user_id, printed_name=printed_name, role=actor.role,
            meaning=SignatureMeaning.APPROVAL, signed_at=now,
        )  # fmt: skip
        events: list[DomainEvent] = [signed]
        if declaration.mtd is not None:
            events.append(trial.advance_to_phase2(declaration, now))
            u.trial.update(trial)
        u.mtd_declarations.update(declaration)
        record(u, *events)
        u.commit()
    return declaration
