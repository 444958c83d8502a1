"""Hostile input: the values an attacker, a broken interface or a tired user sends, as hypothesis strategies
and fixed lists (OWASP Web Security Testing Guide 4.2, chapter 4.7 "Input Validation Testing": SQL injection,
cross-site scripting, template injection, path traversal, format strings; Unicode Technical Report 36 for the
confusable and invisible characters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

INJECTIONS: tuple[str, ...] = (
    "' OR '1'='1",
    "'; DROP TABLE participant; --",
    "Robert'); DROP TABLE audit_log;--",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "1' UNION SELECT arm_code FROM allocation_slot --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "{% for x in ().__class__.__mro__ %}{{x}}{% endfor %}",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "%s%s%s%n",
    "\x00",
    "line\r\nInjected-Header: yes",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "e\u0301",
    "\ufb01",
    "１２３",
    "Ｎａｎ",
    "😷🫁",
    "Ω≈ç√∫",
    " ",
    "",
    "a" * 5000,
)
"""Text that must be refused or stored as plain text, never interpreted."""

NUMBER_TEXTS: tuple[str, ...] = (
    "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e400", "-0", "0x10", "1_000", "1,5", "١٢٣",
    "１２", "1e-400", "   7   ", "7 mmHg", "+5", "--5", ".", "1..2", "1e", "e5",
)  # fmt: skip
"""Number-like text that is not a plain finite decimal (or is one with surprises)."""

FUTURE = datetime.now(UTC) + timedelta(days=3650)


def exponent_numbers(max_exponent: int = 60) -> st.SearchStrategy[str]:
    """Decimal text with exponents up to ``max_exponent`` in size (both signs)."""
    return st.builds(
        lambda mantissa, exponent: f"{mantissa}e{exponent}",
        st.integers(-(10**6), 10**6),
        st.integers(-max_exponent, max_exponent),
    )


def scalars(max_exponent: int = 60) -> st.SearchStrategy[Any]:
    """Every kind of scalar a JSON body or a form post can carry, and some it cannot."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9),
        st.text(max_size=40),
        st.sampled_from(INJECTIONS),
        st.sampled_from(NUMBER_TEXTS),
        exponent_numbers(max_exponent),
        st.dates().map(date.isoformat),
        st.datetimes().map(datetime.isoformat),
        st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
        st.just(FUTURE.isoformat()),
        st.just(FUTURE.date().isoformat()),
    )


def values(max_exponent: int = 60) -> st.SearchStrategy[Any]:
    """Scalars, and lists and objects of them (wrong types for any scalar field)."""
    leaf = scalars(max_exponent)
    return st.one_of(
        leaf,
        st.lists(leaf, max_size=3),
        st.dictionaries(st.text(max_size=8), leaf, max_size=3),
    )


def json_safe(value: Any) -> Any:
    """``value`` with Decimals as floats and non-finite floats kept (Python's JSON writes them)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value
