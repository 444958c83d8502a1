"""Virtual patients: one latent tolerance per patient, drawn up front, chunk by chunk.

Patient ``i`` of virtual trial ``t`` has a latent tolerance ``u[t, i] ~ Uniform(0, 1)`` and has a DLT at dose
``d`` if and only if ``u[t, i] < p_true[d]``. Because the tolerances are drawn before any design acts, designs
simulated on the same tolerances see the same patients (common random numbers; Sweeting et al.'s
``simulate_compare`` idea in the R package *escalation*): a patient with a DLT at a dose also has one at every
higher dose with a higher true rate.

Trials are cut into chunks of :data:`CHUNK_TRIALS` trials. Chunk ``j`` draws its tolerances from its own
``numpy.random.Generator`` seeded by the ``j``-th child of ``SeedSequence(seed).spawn(...)``. Children do not depend
on how many are spawned and ``Generator.random((m, P))`` fills row by row, so virtual trial ``t`` is the same
whatever the total number of trials and whichever executor ran its chunk.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mexards.domain.errors import ValidationError

CHUNK_TRIALS = 25_000
"""Trials per chunk. Fixed, so that results depend only on the seed and the number of trials."""


def chunk_sizes(trials: int) -> list[int]:
    """Split ``trials`` into full chunks of :data:`CHUNK_TRIALS` and one last partial chunk."""
    if trials < 1:
        raise ValidationError("trials", "must be at least 1", trials)
    full, rest = divmod(trials, CHUNK_TRIALS)
    return [CHUNK_TRIALS] * full + ([rest] if rest else [])


def chunk_seeds(seed: int, num_chunks: int) -> list[np.random.SeedSequence]:
    """One child ``SeedSequence`` per chunk, spawned from the master ``seed``."""
    if seed < 0:
        raise ValidationError("seed", "must be a non-negative integer", seed)
    return list(np.random.SeedSequence(seed).spawn(num_chunks))


def tolerances(seed: np.random.SeedSequence, trials: int, patients: int) -> NDArray[np.float64]:
    """The latent tolerances ``u`` (``trials x patients``) of one chunk."""
    rng = np.random.default_rng(seed)
    return rng.random((trials, patients))
