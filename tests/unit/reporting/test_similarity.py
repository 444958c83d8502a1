"""Related-trial scoring: transparent points with reasons, deterministic ranking."""

from __future__ import annotations

import dataclasses

from mexards.protocol.model import Protocol
from mexards.reporting.similarity import product_categories, related_trials, similarity


def _by_id(protocols: list[Protocol], registry_id: str) -> Protocol:
    return next(p for p in protocols if p.registry_id == registry_id)


def test_mexards_is_related_first_to_the_ards_trial_then_to_the_inhaled_exosome_trial(
    mexards: Protocol, all_protocols: list[Protocol]
) -> None:
    related = related_trials(mexards, all_protocols)
    assert [(r.registry_id, r.score) for r in related] == [("NCT01902082", 6.5), ("NCT04313647", 4.5)]
    reasons = {r.aspect: r.points for r in related[1].reasons}
    assert reasons == {"route": 2.0, "product source": 1.0, "product form": 1.0, "phase": 0.5}
    assert related[0].reasons[0].text == "Same condition: Acute Respiratory Distress Syndrome"


def test_the_score_is_the_sum_of_the_reasons_and_symmetric_here(all_protocols: list[Protocol]) -> None:
    for subject in all_protocols:
        for other in all_protocols:
            score, reasons = similarity(subject, other)
            assert score == sum(r.points for r in reasons)
            assert score == similarity(other, subject)[0]


def test_a_trial_is_never_related_to_itself_and_zero_scores_are_left_out(mexards: Protocol) -> None:
    unrelated = dataclasses.replace(
        mexards,
        identification=dataclasses.replace(
            mexards.identification,
            registry_id="NCT99999999",
            phase="PHASE4",
            design=dataclasses.replace(mexards.identification.design, allocation="", model="", masking=""),
        ),
        conditions=("Migraine",),
        interventions=tuple(
            dataclasses.replace(i, route="oral", name="aspirin", product="aspirin")
            for i in mexards.interventions
        ),
    )
    assert related_trials(mexards, [mexards, unrelated]) == []


def test_ties_are_broken_by_registry_id_whatever_the_candidate_order(
    mexards: Protocol, all_protocols: list[Protocol]
) -> None:
    twin = dataclasses.replace(
        _by_id(all_protocols, "NCT04313647"),
        identification=dataclasses.replace(
            _by_id(all_protocols, "NCT04313647").identification, registry_id="NCT00000001"
        ),
    )
    forward = related_trials(mexards, [*all_protocols, twin])
    backward = related_trials(mexards, [twin, *reversed(all_protocols)])
    assert forward == backward
    assert [r.registry_id for r in forward] == ["NCT01902082", "NCT00000001", "NCT04313647"]


def test_conditions_match_ignoring_case_and_spacing(mexards: Protocol) -> None:
    other = dataclasses.replace(mexards, conditions=("acute  respiratory distress SYNDROME",))
    _, reasons = similarity(mexards, other)
    assert reasons[0].aspect == "condition" and reasons[0].points == 3.0


def test_product_categories_read_source_and_form_from_the_product_words(
    all_protocols: list[Protocol],
) -> None:
    assert product_categories(_by_id(all_protocols, "NCT01902082")) == {
        "source": {"mesenchymal stromal/stem cells"},
        "form": {"whole cells"},
    }
    assert product_categories(_by_id(all_protocols, "NCT04602104"))["form"] == {
        "extracellular vesicles (exosomes)"
    }
