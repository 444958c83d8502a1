"""Kit codes: random, unique, non-guessable labels for study-drug kits.

A kit code reveals neither the arm nor the position in the list (``edc-and-standards.md`` RND-6, BLD-6): it is
11 random symbols of Crockford's base32 alphabet (55 bits; no I, L, O or U, so it is easy to read aloud)
drawn from their own child stream of the list's seed, plus one Luhn mod 32 check symbol that catches every
single-symbol typo and most transpositions (Luhn mod N algorithm). Shown as ``XXXX-XXXX-XXXX``.

Kit codes are reproducible from the recorded seed, which is why the seed must stay with the unblinded
statistician (ICH E9 2.3.2: the schedule is reproducible and filed securely).
"""

from __future__ import annotations

import numpy as np

from mexards.domain.errors import ValidationError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 11
_N = len(ALPHABET)
_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}
_CROCKFORD_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def check_symbol(body: str) -> str:
    """The Luhn mod 32 check symbol for ``body`` (symbols of :data:`ALPHABET`)."""
    factor, total = 2, 0
    for symbol in reversed(body):
        addend = factor * _INDEX[symbol]
        factor = 1 if factor == 2 else 2
        total += addend // _N + addend % _N
    return ALPHABET[(_N - total % _N) % _N]


def _formatted(symbols: str) -> str:
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def is_valid_kit_code(code: object) -> bool:
    """True if ``code`` is a well-formed kit code whose check symbol matches."""
    if not isinstance(code, str):
        return False
    symbols = code.replace("-", "")
    if len(symbols) != RANDOM_SYMBOLS + 1 or any(s not in _INDEX for s in symbols):
        return False
    return _formatted(symbols) == code and check_symbol(symbols[:-1]) == symbols[-1]


def normalize_kit_code(text: str) -> str:
    """Canonical form of a typed kit code (case, spaces, hyphens and Crockford look-alikes forgiven)."""
    if not isinstance(text, str):
        raise ValidationError("kit_code", "must be text", text)
    symbols = text.upper().replace("-", "").replace(" ", "").translate(_CROCKFORD_ALIASES)
    code = _formatted(symbols)
    if not is_valid_kit_code(code):
        raise ValidationError("kit_code", "is not a valid kit code (check the characters)", text)
    return code


def draw_kit_codes(
    rng: np.random.Generator, count: int, taken: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """Draw ``count`` distinct kit codes, none of them in ``taken``."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValidationError("count", "must be a whole number, at least 0", count)
    codes: list[str] = []
    seen = set(taken)
    while len(codes) < count:
        draws = rng.integers(0, _N, size=(count - len(codes), RANDOM_SYMBOLS))
        for row in draws:
            body = "".join(ALPHABET[int(i)] for i in row)
            code = _formatted(body + check_symbol(body))
            if code not in seen:
                seen.add(code)
                codes.append(code)
    return tuple(codes)
