"""Hypothesis: the hash input PostgreSQL assembles at commit is exactly the canonical JSON the verifier hashes.

The database only knows the two values the commit decides (the predecessor's hash and the sequence number); the
rest of the canonical JSON comes from the application cut around them (:func:`hash_template`). Any text, however
it quotes or mimics the keys, must reassemble to ``canonical_json`` of the whole entry, or verification would
report every entry written on PostgreSQL as edited.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mexards.persistence.audit import _HASHED, canonical_json, entry_hash, hash_template

TRICKY = st.sampled_from(['"seq":0', '"prev_hash":""', '\\"seq\\":0,', "}", '","reason":', "\u2028", "é漢🧪", ""])
TEXT = st.one_of(TRICKY, st.text(max_size=40), st.lists(TRICKY | st.text(max_size=5)).map("".join))


@given(
    fields=st.fixed_dictionaries({k: TEXT for k in _HASHED if k not in ("seq", "prev_hash", "reason")}),
    reason=st.none() | TEXT,
    seq=st.integers(min_value=1, max_value=2**31 - 1),
    prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_the_template_reassembles_the_canonical_json_of_any_entry(
    fields: dict[str, str], reason: str | None, seq: int, prev: str
) -> None:
    entry = {**fields, "reason": reason, "seq": seq, "prev_hash": prev}
    parts = hash_template(entry)
    assembled = parts["hash_head"] + prev + parts["hash_middle"] + str(seq) + parts["hash_tail"]
    assert assembled == canonical_json(entry)
    assert entry_hash(entry) == entry_hash({k: entry[k] for k in _HASHED})
