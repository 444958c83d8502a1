"""Text with characters that YAML reads as line breaks survives a write and read (found by hypothesis)."""

from __future__ import annotations

import pytest

from mexards.protocol.document import read_yaml, write_yaml


@pytest.mark.parametrize("text", ["0\x85", "a\u2028b", "end\u2029", "plain", "two\nlines", "tab\tand ü"])
def test_text_round_trips_through_the_protocol_yaml_dialect(text: str) -> None:
    assert read_yaml(write_yaml({"text": text}))["text"] == text
