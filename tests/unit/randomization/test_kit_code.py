"""Kit codes: Crockford base32 with a Luhn mod 32 check symbol."""

from __future__ import annotations

import numpy as np
import pytest

from mexards.domain.errors import ValidationError
from mexards.randomization.kit_code import (
    ALPHABET,
    check_symbol,
    draw_kit_codes,
    is_valid_kit_code,
    normalize_kit_code,
)


def test_drawn_codes_are_unique_well_formed_and_avoid_taken_codes() -> None:
    rng = np.random.default_rng(7)
    first = draw_kit_codes(rng, 500)
    more = draw_kit_codes(rng, 500, taken=frozenset(first))
    assert len(set(first) | set(more)) == 1000
    assert all(is_valid_kit_code(code) for code in first + more)
    assert all(len(code) == 14 and code[4] == code[9] == "-" for code in first)


def test_every_single_symbol_typo_is_detected() -> None:
    code = draw_kit_codes(np.random.default_rng(3), 1)[0]
    symbols = code.replace("-", "")
    for position in range(len(symbols)):
        for replacement in ALPHABET:
            if replacement == symbols[position]:
                continue
            typo = symbols[:position] + replacement + symbols[position + 1 :]
            assert check_symbol(typo[:-1]) != typo[-1]


def test_typed_codes_are_normalised_forgiving_case_spaces_and_look_alikes() -> None:
    code = draw_kit_codes(np.random.default_rng(11), 1)[0]
    typed = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert normalize_kit_code(typed) == code


def test_a_code_with_a_wrong_check_symbol_is_refused() -> None:
    code = draw_kit_codes(np.random.default_rng(5), 1)[0]
    wrong = code[:-1] + next(c for c in ALPHABET if c != code[-1])
    assert not is_valid_kit_code(wrong)
    with pytest.raises(ValidationError, match="kit_code"):
        normalize_kit_code(wrong)


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValidationError, match="count"):
        draw_kit_codes(np.random.default_rng(1), -1)
