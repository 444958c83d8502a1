"""Run simulation chunks on a Dask cluster (the optional ``dask`` extra).

This is the only module of mexards that touches Dask, and it imports ``dask.distributed`` lazily, inside the
executor, so that importing :mod:`mexards.simulation` never needs Dask installed.

The chunks and their results travel by pickle; the results come back in chunk order, so a run on a cluster gives
bit-for-bit the same operating characteristics as the same run on the local pool or in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mexards.domain.errors import DesignError, ValidationError

ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")


class DaskUnavailableError(DesignError):
    """The ``dask[distributed]`` extra is not installed."""


class DaskExecutor:
    """Map chunks over a Dask ``distributed`` cluster.

    Give either ``address`` (a scheduler address such as ``tcp://10.0.0.5:8786``) or an existing ``client``
    (e.g. one connected to a ``distributed.LocalCluster``). A client created from ``address`` is created on first
    use (giving up after ``timeout_s`` seconds) and closed by :meth:`close` (or at the end of a ``with`` block).
    """

    name = "dask"

    def __init__(self, address: str | None = None, *, client: Any = None, timeout_s: float = 30.0) -> None:
        if address is None and client is None:
            raise ValidationError("scheduler", "give a scheduler address or a client", None)
        if address is not None and not address.strip():
            raise ValidationError("scheduler", "must not be empty", address)
        self.address = address
        self.timeout_s = timeout_s
        self._client = client
        self._owns_client = client is None

    def _connected(self) -> Any:
        if self._client is None:
            try:
                import distributed
            except ImportError as exc:  # pragma: no cover - the extra is installed in development
                raise DaskUnavailableError(
                    "the Dask executor needs the optional extra: pip install 'mexards[dask]'"
                ) from exc
            try:
                client_class: Any = distributed.Client
                self._client = client_class(self.address, timeout=self.timeout_s)
            except OSError as exc:
                raise ValidationError("scheduler", f"cannot connect to {self.address}: {exc}", self.address) from exc
        return self._client

    def map(self, fn: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT]) -> list[ResultT]:
        """Submit one task per chunk and gather the results in chunk order."""
        if not chunks:
            return []
        client = self._connected()
        futures = client.map(fn, list(chunks), pure=False)
        results: list[ResultT] = client.gather(futures)
        return list(results)

    def close(self) -> None:
        """Close the client if this executor created it."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
