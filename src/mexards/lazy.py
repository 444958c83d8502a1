"""Lazy public names for a package (PEP 562): ``__getattr__ = lazy_names(__name__, HOME)`` loads the submodule
that defines a public name the first time the name is used, so that importing the package stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, home: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` whose public names live in the submodules ``home`` names."""

    def __getattr__(name: str) -> Any:
        submodule = home.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{submodule}"), name)

    return __getattr__
