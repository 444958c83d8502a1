"""Hypothesis invariants of the clinical definitions (clinical.md section 3)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mexards.clinical.anthropometry import bmi
from mexards.clinical.berlin import BerlinCategory, classify_berlin
from mexards.clinical.child_pugh import child_pugh
from mexards.clinical.murray import murray_score
from mexards.clinical.sofa import sofa_score
from mexards.clinical.ventilation import ventilator_free_days

THOROUGH = settings(max_examples=200, deadline=None)


def decimals(low: str, high: str, places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False)


# Worse oxygenation (lower P/F) must never give a milder Berlin class. Rank: higher = worse.
_RANK = {BerlinCategory.NOT_ARDS: 0, BerlinCategory.MILD: 1, BerlinCategory.MODERATE: 2, BerlinCategory.SEVERE: 3}


@THOROUGH
@given(
    pao2=st.tuples(decimals("20", "600", 1), decimals("20", "600", 1)),
    fio2=decimals("0.21", "1.0", 2),
    peep=decimals("5", "25", 1),
)
def test_a_lower_pf_never_gives_a_milder_berlin_class_on_invasive_ventilation(
    pao2: tuple[Decimal, Decimal], fio2: Decimal, peep: Decimal
) -> None:
    low, high = sorted(pao2)
    worse = classify_berlin(pao2_mmhg=low, fio2_fraction=fio2, peep_cmh2o=peep, support="invasive")
    better = classify_berlin(pao2_mmhg=high, fio2_fraction=fio2, peep_cmh2o=peep, support="invasive")
    assert _RANK[worse.category] >= _RANK[better.category]


@THOROUGH
@given(
    pao2=st.tuples(decimals("20", "600", 1), decimals("20", "600", 1)),
    fio2=decimals("0.21", "1.0", 2),
    peep=decimals("5", "15", 1),
)
def test_a_lower_pf_never_gives_a_milder_pragmatic_class_on_noninvasive_support(
    pao2: tuple[Decimal, Decimal], fio2: Decimal, peep: Decimal
) -> None:
    low, high = sorted(pao2)
    kwargs = {"fio2_fraction": fio2, "peep_cmh2o": peep, "support": "noninvasive"}
    worse = classify_berlin(pao2_mmhg=low, **kwargs)  # type: ignore[arg-type]
    better = classify_berlin(pao2_mmhg=high, **kwargs)  # type: ignore[arg-type]
    assert _RANK[worse.pragmatic_category] >= _RANK[better.pragmatic_category]
    if worse.category is not BerlinCategory.NOT_CLASSIFIABLE and better.category is not BerlinCategory.NOT_CLASSIFIABLE:
        assert _RANK[worse.category] >= _RANK[better.category]


@THOROUGH
@given(
    cxr=st.integers(0, 4),
    pf=st.tuples(decimals("30", "500", 1), decimals("30", "500", 1)),
    peep=st.tuples(decimals("0", "25", 1), decimals("0", "25", 1)),
    compliance=st.tuples(decimals("5", "120", 1), decimals("5", "120", 1)),
)
def test_murray_score_never_falls_when_inputs_worsen(
    cxr: int,
    pf: tuple[Decimal, Decimal],
    peep: tuple[Decimal, Decimal],
    compliance: tuple[Decimal, Decimal],
) -> None:
    good = murray_score(cxr_quadrants=cxr, pf_ratio=max(pf), peep_cmh2o=min(peep), compliance_ml_cmh2o=max(compliance))
    bad = murray_score(cxr_quadrants=cxr, pf_ratio=min(pf), peep_cmh2o=max(peep), compliance_ml_cmh2o=min(compliance))
    assert bad.score >= good.score
    assert 0 <= good.score <= 4


@THOROUGH
@given(cxr=st.tuples(st.integers(0, 4), st.integers(0, 4)), pf=decimals("30", "500", 1))
def test_murray_score_never_falls_with_more_consolidated_quadrants(cxr: tuple[int, int], pf: Decimal) -> None:
    assert (
        murray_score(cxr_quadrants=max(cxr), pf_ratio=pf).score
        >= murray_score(cxr_quadrants=min(cxr), pf_ratio=pf).score
    )


_sofa_pairs = st.fixed_dictionaries(
    {
        "pf": st.tuples(decimals("30", "600", 1), decimals("30", "600", 1)),
        "platelets": st.tuples(decimals("1", "500", 0), decimals("1", "500", 0)),
        "bilirubin": st.tuples(decimals("0.1", "20", 2), decimals("0.1", "20", 2)),
        "map": st.tuples(decimals("30", "120", 0), decimals("30", "120", 0)),
        "dopamine": st.tuples(decimals("0", "25", 2), decimals("0", "25", 2)),
        "dobutamine": st.tuples(decimals("0", "20", 2), decimals("0", "20", 2)),
        "epinephrine": st.tuples(decimals("0", "0.5", 3), decimals("0", "0.5", 3)),
        "norepinephrine": st.tuples(decimals("0", "0.5", 3), decimals("0", "0.5", 3)),
        "gcs": st.tuples(st.integers(3, 15), st.integers(3, 15)),
        "creatinine": st.tuples(decimals("0.2", "10", 2), decimals("0.2", "10", 2)),
        "urine": st.tuples(decimals("0", "3000", 0), decimals("0", "3000", 0)),
    }
)


@THOROUGH
@given(pairs=_sofa_pairs, support=st.tuples(st.booleans(), st.booleans()))
def test_sofa_never_falls_when_every_input_worsens(
    pairs: dict[str, tuple[Decimal, Decimal]], support: tuple[bool, bool]
) -> None:
    def side(worse: bool) -> dict[str, object]:
        hi = max if worse else min
        lo = min if worse else max
        return {
            "pf_ratio": lo(pairs["pf"]),
            "respiratory_support": support[0] or (worse and support[1]),
            "platelets_10e3_ul": lo(pairs["platelets"]),
            "bilirubin_mg_dl": hi(pairs["bilirubin"]),
            "map_mmhg": lo(pairs["map"]),
            "dopamine_ug_kg_min": hi(pairs["dopamine"]),
            "dobutamine_ug_kg_min": hi(pairs["dobutamine"]),
            "epinephrine_ug_kg_min": hi(pairs["epinephrine"]),
            "norepinephrine_ug_kg_min": hi(pairs["norepinephrine"]),
            "gcs": lo(pairs["gcs"]),
            "creatinine_mg_dl": hi(pairs["creatinine"]),
            "urine_output_ml_day": lo(pairs["urine"]),
        }

    better = sofa_score(**side(False))  # type: ignore[arg-type]
    worse = sofa_score(**side(True))  # type: ignore[arg-type]
    assert better.complete and worse.complete
    for system, points in better.components.items():
        assert worse.components[system] >= points, system
    assert 0 <= better.total <= worse.total <= 24


@THOROUGH
@given(
    bili=st.tuples(decimals("0.1", "10", 2), decimals("0.1", "10", 2)),
    alb=st.tuples(decimals("1.0", "5.5", 2), decimals("1.0", "5.5", 2)),
    inr=st.tuples(decimals("0.8", "5", 2), decimals("0.8", "5", 2)),
    ascites=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    he=st.tuples(st.integers(1, 3), st.integers(1, 3)),
)
def test_child_pugh_never_falls_when_inputs_worsen(
    bili: tuple[Decimal, Decimal],
    alb: tuple[Decimal, Decimal],
    inr: tuple[Decimal, Decimal],
    ascites: tuple[int, int],
    he: tuple[int, int],
) -> None:
    better = child_pugh(
        bilirubin_mg_dl=min(bili), albumin_g_dl=max(alb), inr=min(inr), ascites=min(ascites), encephalopathy=min(he)
    )
    worse = child_pugh(
        bilirubin_mg_dl=max(bili), albumin_g_dl=min(alb), inr=max(inr), ascites=max(ascites), encephalopathy=max(he)
    )
    assert 5 <= better.score <= worse.score <= 15
    assert better.child_class <= worse.child_class


@THOROUGH
@given(weight=decimals("20", "300", 2), height=decimals("100", "230", 1))
def test_bmi_above_28_exactly_when_weight_times_10000_exceeds_28_h_squared(weight: Decimal, height: Decimal) -> None:
    assert (bmi(weight, height) > 28) == (weight * 10000 > 28 * height * height)
    assert (bmi(weight, height) == 28) == (weight * 10000 == 28 * height * height)


@THOROUGH
@given(height=decimals("100", "230", 1))
def test_bmi_threshold_weight_is_exactly_28(height: Decimal) -> None:
    weight = Decimal(28) * height * height / Decimal(10000)
    assert bmi(weight, height) == 28


@THOROUGH
@given(
    days=st.sets(st.integers(0, 35), max_size=36),
    death=st.one_of(st.none(), st.integers(0, 60)),
)
def test_vfd_is_between_0_and_28_and_ardsnet_never_exceeds_total(days: set[int], death: int | None) -> None:
    if death is not None:
        days = {d for d in days if d <= death}
    result = ventilator_free_days(days, death_day=death, follow_up_end_day=max([28, *days]))
    assert result.total is not None and result.ardsnet is not None
    assert 0 <= result.ardsnet <= result.total <= 28
