"""Fixtures for the reporting tests: the built-in protocols and a fixed export time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mexards.protocol import builtin_protocol, list_builtin_protocols
from mexards.protocol.model import Protocol


@pytest.fixture(params=list_builtin_protocols())
def protocol(request: pytest.FixtureRequest) -> Protocol:
    """Each built-in protocol in turn."""
    return builtin_protocol(request.param)


@pytest.fixture
def mexards() -> Protocol:
    """NCT04602104 (MEXARDS)."""
    return builtin_protocol("NCT04602104")


@pytest.fixture
def all_protocols() -> list[Protocol]:
    """Every built-in protocol."""
    return [builtin_protocol(registry_id) for registry_id in list_builtin_protocols()]


@pytest.fixture
def exported_at() -> datetime:
    """A fixed, timezone-aware export time."""
    return datetime(2024, 7, 22, 12, 0, tzinfo=UTC)
