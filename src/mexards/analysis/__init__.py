"""Pure statistics for the trial's results: plain typed functions returning small frozen dataclasses.

Every data-driven result carries ``n_missing`` (values given as ``None``/NaN are excluded and counted, never
dropped silently) and a ``method`` text naming what was computed. Sources are cited in each module and in
``docs/analysis.md``.

The public names load on first use (PEP 562): importing one submodule, or the package, does not load scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mexards.lazy import lazy_names

if TYPE_CHECKING:
    from mexards.analysis.binomial import (
        PROPORTION_METHODS,
        ProportionInterval,
        ProportionMethod,
        clopper_pearson,
        proportion_from_outcomes,
        proportion_interval,
        proportion_intervals_by_dose,
        wilson,
    )
    from mexards.analysis.comparison import (
        MeanDifference,
        ShiftComparison,
        mann_whitney,
        mann_whitney_null_cdf,
        welch_t_test,
    )
    from mexards.analysis.contingency import (
        BinaryComparison,
        FisherExactTest,
        RiskDifference,
        compare_binary,
        fisher_exact,
        risk_difference,
    )
    from mexards.analysis.isotonic import IsotonicFit, isotonic_rates, isotonic_regression
    from mexards.analysis.logrank import LogRankTest, log_rank_test
    from mexards.analysis.power import (
        PowerCurve,
        PowerResult,
        SampleSize,
        mean_difference_power_curve,
        power_mean_difference,
        power_two_proportions,
        proportion_power_curve,
        sample_size_mean_difference,
        sample_size_two_proportions,
    )
    from mexards.analysis.regression import (
        AdjustedMean,
        AncovaResult,
        Coefficient,
        LeastSquaresFit,
        ancova,
        least_squares,
    )
    from mexards.analysis.summary import (
        CategoricalSummary,
        CategoryCount,
        ContinuousSummary,
        GroupSummary,
        summarize_categorical,
        summarize_categorical_by_group,
        summarize_continuous,
        summarize_continuous_by_group,
    )
    from mexards.analysis.survival import (
        CONFIDENCE_TYPES,
        AtRiskRow,
        ConfidenceType,
        KaplanMeier,
        SurvivalEstimate,
        SurvivalQuantile,
        SurvivalStep,
        at_risk_table,
        kaplan_meier,
        kaplan_meier_by_group,
        median_survival,
        survival_at,
        survival_quantile,
    )

_HOME = {
    "PROPORTION_METHODS": "binomial",
    "ProportionInterval": "binomial",
    "ProportionMethod": "binomial",
    "clopper_pearson": "binomial",
    "proportion_from_outcomes": "binomial",
    "proportion_interval": "binomial",
    "proportion_intervals_by_dose": "binomial",
    "wilson": "binomial",
    "MeanDifference": "comparison",
    "ShiftComparison": "comparison",
    "mann_whitney": "comparison",
    "mann_whitney_null_cdf": "comparison",
    "welch_t_test": "comparison",
    "BinaryComparison": "contingency",
    "FisherExactTest": "contingency",
    "RiskDifference": "contingency",
    "compare_binary": "contingency",
    "fisher_exact": "contingency",
    "risk_difference": "contingency",
    "IsotonicFit": "isotonic",
    "isotonic_rates": "isotonic",
    "isotonic_regression": "isotonic",
    "LogRankTest": "logrank",
    "log_rank_test": "logrank",
    "PowerCurve": "power",
    "PowerResult": "power",
    "SampleSize": "power",
    "mean_difference_power_curve": "power",
    "power_mean_difference": "power",
    "power_two_proportions": "power",
    "proportion_power_curve": "power",
    "sample_size_mean_difference": "power",
    "sample_size_two_proportions": "power",
    "AdjustedMean": "regression",
    "AncovaResult": "regression",
    "Coefficient": "regression",
    "LeastSquaresFit": "regression",
    "ancova": "regression",
    "least_squares": "regression",
    "CategoricalSummary": "summary",
    "CategoryCount": "summary",
    "ContinuousSummary": "summary",
    "GroupSummary": "summary",
    "summarize_categorical": "summary",
    "summarize_categorical_by_group": "summary",
    "summarize_continuous": "summary",
    "summarize_continuous_by_group": "summary",
    "CONFIDENCE_TYPES": "survival",
    "AtRiskRow": "survival",
    "ConfidenceType": "survival",
    "KaplanMeier": "survival",
    "SurvivalEstimate": "survival",
    "SurvivalQuantile": "survival",
    "SurvivalStep": "survival",
    "at_risk_table": "survival",
    "kaplan_meier": "survival",
    "kaplan_meier_by_group": "survival",
    "median_survival": "survival",
    "survival_at": "survival",
    "survival_quantile": "survival",
}
"""The submodule that defines each public name."""


__getattr__ = lazy_names(__name__, _HOME)


__all__ = [
    "CONFIDENCE_TYPES",
    "PROPORTION_METHODS",
    "AdjustedMean",
    "AncovaResult",
    "AtRiskRow",
    "BinaryComparison",
    "CategoricalSummary",
    "CategoryCount",
    "Coefficient",
    "ConfidenceType",
    "ContinuousSummary",
    "FisherExactTest",
    "GroupSummary",
    "IsotonicFit",
    "KaplanMeier",
    "LeastSquaresFit",
    "LogRankTest",
    "MeanDifference",
    "PowerCurve",
    "PowerResult",
    "ProportionInterval",
    "ProportionMethod",
    "RiskDifference",
    "SampleSize",
    "ShiftComparison",
    "SurvivalEstimate",
    "SurvivalQuantile",
    "SurvivalStep",
    "ancova",
    "at_risk_table",
    "clopper_pearson",
    "compare_binary",
    "fisher_exact",
    "isotonic_rates",
    "isotonic_regression",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "least_squares",
    "log_rank_test",
    "mann_whitney",
    "mann_whitney_null_cdf",
    "mean_difference_power_curve",
    "median_survival",
    "power_mean_difference",
    "power_two_proportions",
    "proportion_from_outcomes",
    "proportion_interval",
    "proportion_intervals_by_dose",
    "proportion_power_curve",
    "risk_difference",
    "sample_size_mean_difference",
    "sample_size_two_proportions",
    "summarize_categorical",
    "summarize_categorical_by_group",
    "summarize_continuous",
    "summarize_continuous_by_group",
    "survival_at",
    "survival_quantile",
    "welch_t_test",
    "wilson",
]
