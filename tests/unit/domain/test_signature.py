"""Electronic signatures bound to the SHA-256 of canonical JSON (21 CFR 11.50, 11.70; ESG-1, ESG-2)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import UserId
from mexards.domain.role import Role
from mexards.domain.signature import (
    ElectronicSignature,
    SignatureMeaning,
    canonical_json,
    content_sha256,
)

AT = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def sign(content: object) -> ElectronicSignature:
    return ElectronicSignature.sign(
        content,
        signer=UserId("pi-01"),
        printed_name="Dr A. Investigator",
        role=Role.PRINCIPAL_INVESTIGATOR,
        meaning=SignatureMeaning.APPROVAL,
        signed_at=AT,
    )


def test_canonical_json_sorts_keys_and_drops_insignificant_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


def test_the_hash_is_the_sha256_of_the_utf8_canonical_text() -> None:
    content = {"mtd": "8.0×10^8", "n": 6}
    expected = hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
    assert content_sha256(content) == expected


def test_key_order_does_not_change_the_hash() -> None:
    assert content_sha256({"a": 1, "b": 2}) == content_sha256({"b": 2, "a": 1})


def test_the_same_instant_in_another_time_zone_hashes_the_same() -> None:
    paris = AT.astimezone(timezone(timedelta(hours=2)))
    assert content_sha256({"at": AT}) == content_sha256({"at": paris})


def test_exact_numbers_dates_and_dataclasses_have_canonical_forms() -> None:
    @dataclass(frozen=True)
    class Evidence:
        level: int
        fraction: Fraction

    text = canonical_json({"d": Decimal("8.0E+8"), "day": date(2025, 3, 1), "e": Evidence(2, Fraction(1, 4))})
    assert text == '{"d":"8.0E+8","day":"2025-03-01","e":{"fraction":"1/4","level":2}}'


def test_content_without_a_canonical_form_is_refused() -> None:
    with pytest.raises(ValidationError, match="content"):
        canonical_json({"x": object()})
    with pytest.raises(ValidationError, match="content"):
        canonical_json({"x": float("nan")})


def test_a_signature_verifies_its_content_and_fails_once_the_content_changes() -> None:
    content = {"mtd_dose_particles": 800_000_000, "evaluable": 6, "dlts": 1}
    signature = sign(content)
    assert signature.verifies(dict(content))
    assert not signature.verifies({**content, "dlts": 2})
    assert not signature.verifies({**content, "extra": None})


def test_the_manifestation_shows_name_time_and_meaning() -> None:
    line = sign({"x": 1}).manifestation()
    assert "Dr A. Investigator" in line and "2025-04-01T09:00:00+00:00" in line and "approval" in line


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"printed_name": " "}, "signature.printed_name"),
        ({"meaning": "agreement"}, "signature.meaning"),
        ({"content_sha256": "abc"}, "signature.content_sha256"),
        ({"role": "sponsor"}, "role"),
        ({"signed_at": datetime(2025, 1, 1)}, "signature.signed_at"),
    ],
)
def test_malformed_signatures_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "signer": UserId("pi-01"),
        "printed_name": "Dr A",
        "role": Role.PRINCIPAL_INVESTIGATOR,
        "meaning": SignatureMeaning.APPROVAL,
        "signed_at": AT,
        "content_sha256": "0" * 64,
    }
    values.update(changes)
    with pytest.raises(ValidationError) as caught:
        ElectronicSignature(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_identifiers_and_study_days_sign_as_their_plain_values() -> None:
    from mexards.domain.identifier import ParticipantId
    from mexards.domain.study_day import StudyDay

    assert canonical_json({"p": ParticipantId("MEX-001"), "d": StudyDay(3)}) == '{"d":3,"p":"MEX-001"}'
