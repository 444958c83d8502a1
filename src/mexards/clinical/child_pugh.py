"""Child-Pugh score (needed for NCT04602104 exclusion 2, "Child-Pugh score > 12" [S1]).

Source: Pugh RN et al., Br J Surg 1973;60:646 (modified Child-Turcotte), table as in clinical.md 3.4 [S22]:

=========================  ============  ==============  =================
Item                       1 point       2 points        3 points
=========================  ============  ==============  =================
Total bilirubin mg/dL      < 2           2-3             > 3
Albumin g/dL               > 3.5         2.8-3.5         < 2.8
INR                        < 1.7         1.7-2.3         > 2.3
Ascites                    none          mild            moderate-severe
Hepatic encephalopathy     none          grade 1-2       grade 3-4
=========================  ============  ==============  =================

Total 5-15; class A 5-6, B 7-9, C 10-15. Both ends of each 2-point band are inclusive. The albumin band
follows the 2.8-3.5 g/dL table with INR (the default of clinical.md 3.4); Harrison's 3.0-3.5 g/dL band can be
chosen with ``albumin_lower_g_dl=3.0`` but the two tables are never mixed. SI inputs are converted first
(bilirubin µmol/L ÷ 17.1, albumin g/L ÷ 10).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from mexards.clinical import quantity
from mexards.clinical.quantity import Number, exact, non_negative
from mexards.domain.errors import ValidationError, ValidationErrors

RULE_VERSION = "Child-Pugh (Pugh 1973), albumin 2.8-3.5 g/dL band, INR"

BILIRUBIN_2_POINTS_FROM_MG_DL = Decimal(2)
BILIRUBIN_3_POINTS_ABOVE_MG_DL = Decimal(3)
ALBUMIN_1_POINT_ABOVE_G_DL = Decimal("3.5")
ALBUMIN_LOWER_G_DL = Decimal("2.8")
INR_2_POINTS_FROM = Decimal("1.7")
INR_3_POINTS_ABOVE = Decimal("2.3")

_GRADE_WORDS = {
    "none": 1,
    "absent": 1,
    "no": 1,
    "grade 0": 1,
    "mild": 2,
    "slight": 2,
    "controlled": 2,
    "easily controlled": 2,
    "minimal": 2,
    "grade 1-2": 2,
    "grade 1": 2,
    "grade 2": 2,
    "moderate": 3,
    "severe": 3,
    "moderate-severe": 3,
    "moderate to severe": 3,
    "poorly controlled": 3,
    "refractory": 3,
    "advanced": 3,
    "grade 3-4": 3,
    "grade 3": 3,
    "grade 4": 3,
}


@dataclass(frozen=True)
class ChildPughResult:
    """Child-Pugh total, class and the points of each item."""

    score: int
    child_class: str
    components: dict[str, int] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    complete: bool = True
    rule_version: str = RULE_VERSION

    @property
    def total(self) -> int:
        """Same as ``score`` (the name the other scores use)."""
        return self.score


def points_from_words(value: int | str, field_name: str) -> int:
    """Ascites or encephalopathy points 1-3 from an int (or digit string) or a word such as ``"none"``,
    ``"mild"``, ``"moderate"``, ``"severe"``, ``"grade 1-2"`` or ``"grade 3-4"``."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(field_name, "is required" if value is None else "must be 1-3 points", value)
    if isinstance(value, int):
        points = value
    elif isinstance(value, str):
        key = " ".join(value.strip().lower().replace("–", "-").split())
        key = key.replace(" - ", "-")
        if key.isdigit():
            points = int(key)
        elif key in _GRADE_WORDS:
            return _GRADE_WORDS[key]
        else:
            raise ValidationError(
                field_name, "must be 1-3 points or one of: none, mild, moderate, severe, grade 1-2, grade 3-4", value
            )
    else:
        raise ValidationError(field_name, "must be 1-3 points", value)
    if points not in (1, 2, 3):
        raise ValidationError(field_name, "must be 1-3 points", value)
    return points


def bilirubin_points(bilirubin: Decimal) -> int:
    """1 below 2 mg/dL, 2 from 2 to 3 mg/dL inclusive, 3 above 3 mg/dL."""
    if bilirubin < BILIRUBIN_2_POINTS_FROM_MG_DL:
        return 1
    return 2 if bilirubin <= BILIRUBIN_3_POINTS_ABOVE_MG_DL else 3


def albumin_points(albumin: Decimal, lower_g_dl: Decimal = ALBUMIN_LOWER_G_DL) -> int:
    """1 above 3.5 g/dL, 2 from ``lower_g_dl`` (2.8) to 3.5 inclusive, 3 below ``lower_g_dl``."""
    if albumin > ALBUMIN_1_POINT_ABOVE_G_DL:
        return 1
    return 2 if albumin >= lower_g_dl else 3


def inr_points(inr: Decimal) -> int:
    """1 below 1.7, 2 from 1.7 to 2.3 inclusive, 3 above 2.3."""
    if inr < INR_2_POINTS_FROM:
        return 1
    return 2 if inr <= INR_3_POINTS_ABOVE else 3


def child_pugh_class(score: int) -> str:
    """Class A for 5-6, B for 7-9, C for 10-15."""
    if not 5 <= score <= 15:
        raise ValidationError("score", "must be between 5 and 15", score)
    if score <= 6:
        return "A"
    return "B" if score <= 9 else "C"


def child_pugh(
    *,
    bilirubin_mg_dl: Number,
    albumin_g_dl: Number,
    inr: Number,
    ascites: int | str,
    encephalopathy: int | str,
    bilirubin_unit: str = "mg/dL",
    albumin_unit: str = "g/dL",
    albumin_lower_g_dl: Number = ALBUMIN_LOWER_G_DL,
) -> ChildPughResult:
    """Score Child-Pugh from the five items (all required; every invalid item is reported at once).

    ``ascites`` and ``encephalopathy`` are points 1-3 (1 none, 2 mild / grade 1-2, 3 moderate-severe /
    grade 3-4) or the corresponding words.
    """
    errors: list[ValidationError] = []
    components: dict[str, int] = {}
    lower = exact(albumin_lower_g_dl, "albumin_lower_g_dl")
    if lower not in (Decimal("2.8"), Decimal("3.0")):
        raise ValidationError("albumin_lower_g_dl", "must be 2.8 or 3.0", albumin_lower_g_dl)
    steps: tuple[tuple[str, Callable[[], int]], ...] = (
        ("bilirubin", lambda: bilirubin_points(bilirubin_mg_dl_of(bilirubin_mg_dl, bilirubin_unit))),
        ("albumin", lambda: albumin_points(albumin_g_dl_of(albumin_g_dl, albumin_unit), lower)),
        ("inr", lambda: inr_points(_inr(inr))),
        ("ascites", lambda: points_from_words(ascites, "ascites")),
        ("encephalopathy", lambda: points_from_words(encephalopathy, "encephalopathy")),
    )
    for name, step in steps:
        try:
            components[name] = step()
        except ValidationError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)
    score = sum(components.values())
    return ChildPughResult(score=score, child_class=child_pugh_class(score), components=components)


def _inr(value: Number) -> Decimal:
    inr = non_negative(value, "inr")
    if inr == 0:
        raise ValidationError("inr", "must be greater than 0", value)
    return inr


def bilirubin_mg_dl_of(value: Number, unit: str) -> Decimal:
    """Bilirubin in mg/dL from the value as entered (field name ``bilirubin_mg_dl``)."""
    return quantity.bilirubin_mg_dl(value, unit, "bilirubin_mg_dl")


def albumin_g_dl_of(value: Number, unit: str) -> Decimal:
    """Albumin in g/dL from the value as entered (field name ``albumin_g_dl``)."""
    return quantity.albumin_g_dl(value, unit, "albumin_g_dl")
