"""Build a design and its modifiers from plain options (the vocabulary of ``mexards escalate``).

Design names: ``boin``, ``crm``, ``3+3`` (V1, no de-escalation) and ``3+3-deescalate`` (V2); see
``docs/dosefinding.md``. A CRM without an explicit skeleton gets ``getprior(halfwidth, target, nu, doses)``
(Lee & Cheung 2009) with ``halfwidth`` 0.05 and ``nu`` the middle dose unless given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mexards.domain.errors import ValidationError
from mexards.dosefinding.boin import BOIN
from mexards.dosefinding.crm import CRM, Model, check_model, getprior
from mexards.dosefinding.design import DESIGN_NAMES, Design
from mexards.dosefinding.modifier import DontSkipDoses, StopAtN, StopWhenTooToxic
from mexards.dosefinding.three_plus_three import ThreePlusThree


@dataclass(frozen=True)
class DesignOptions:
    """Everything needed to build one of the designs by name; unused options are ignored."""

    design: str
    target: float | None = None
    num_doses: int | None = None
    skeleton: tuple[float, ...] | None = None
    halfwidth: float = 0.05
    nu: int | None = None
    model: str = "empiric"
    intcpt: float = 3.0
    prior_sd: float = math.sqrt(1.34)
    start_dose: int = 1
    restrict: bool = True
    p_saf: float | None = None
    p_tox: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int = 100
    max_n: int | None = None
    dont_skip: bool = False
    stop_tox_threshold: float | None = None
    stop_confidence: float | None = None
    stop_dose: int | str = 1


def parse_skeleton(text: str) -> tuple[float, ...]:
    """``"0.1,0.25,0.4"`` -> probabilities (checked by the CRM design)."""
    values: list[float] = []
    for i, token in enumerate(t for t in text.replace(" ", "").split(",")):
        try:
            values.append(float(token))
        except ValueError:
            raise ValidationError(f"skeleton[{i}]", "must be a number", token) from None
    return tuple(values)


def _require_doses(options: DesignOptions) -> int:
    if options.num_doses is None:
        raise ValidationError("doses", f"is required for the {options.design} design")
    return options.num_doses


def _require_target(options: DesignOptions) -> float:
    if options.target is None:
        raise ValidationError("target", f"is required for the {options.design} design")
    return options.target


def _crm(options: DesignOptions) -> CRM:
    target = _require_target(options)
    check_model(options.model)
    model: Model = "logistic" if options.model == "logistic" else "empiric"
    skeleton = options.skeleton
    if skeleton is None:
        doses = _require_doses(options)
        nu = options.nu if options.nu is not None else (doses + 1) // 2
        skeleton = getprior(options.halfwidth, target, nu, doses, model, options.intcpt)
    elif options.num_doses is not None and options.num_doses != len(skeleton):
        raise ValidationError(
            "skeleton", f"has {len(skeleton)} values but doses is {options.num_doses}", skeleton
        )
    return CRM(
        skeleton,
        target,
        model=model,
        intcpt=options.intcpt,
        prior_sd=options.prior_sd,
        start_dose=options.start_dose,
        restrict=options.restrict,
    )


def build_design(options: DesignOptions) -> Design:
    """The design named in ``options``, wrapped in the requested modifiers (innermost first:
    stop_when_too_toxic, then dont_skip_doses, then stop_at_n)."""
    name = options.design.strip().lower()
    design: Design
    if name == "boin":
        design = BOIN(
            _require_doses(options),
            _require_target(options),
            p_saf=options.p_saf,
            p_tox=options.p_tox,
            cutoff_eli=options.cutoff_eli,
            extrasafe=options.extrasafe,
            offset=options.offset,
            n_earlystop=options.n_earlystop,
        )
    elif name == "crm":
        design = _crm(options)
    elif name in ("3+3", "3+3-deescalate"):
        design = ThreePlusThree(_require_doses(options), allow_deescalate=name == "3+3-deescalate")
    else:
        raise ValidationError("design", f"must be one of {', '.join(DESIGN_NAMES)}", options.design)
    if options.stop_tox_threshold is not None or options.stop_confidence is not None:
        if options.stop_tox_threshold is None or options.stop_confidence is None:
            raise ValidationError(
                "stop_confidence", "stop_tox_threshold and stop_confidence must be given together"
            )
        dose = _stop_dose(options.stop_dose)
        design = StopWhenTooToxic(design, dose, options.stop_tox_threshold, options.stop_confidence)
    if options.dont_skip:
        design = DontSkipDoses(design)
    if options.max_n is not None:
        design = StopAtN(design, options.max_n)
    return design


def _stop_dose(value: int | str) -> int | Literal["any"]:
    if isinstance(value, int):
        return value
    if value == "any":
        return "any"
    try:
        return int(value)
    except ValueError:
        raise ValidationError("stop_dose", "must be 'any' or a dose level", value) from None


def skeleton_option(text: str | None) -> Sequence[float] | None:
    """Parse an optional skeleton option."""
    return None if text is None or not text.strip() else parse_skeleton(text)
