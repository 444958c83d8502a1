"""The packages whose public names load on first use (PEP 562) still offer every name of ``__all__``: each is
the object its home submodule defines (the function ``mexards.reporting.similarity``, not its submodule), and a
name they do not have is an ``AttributeError`` naming it."""

from __future__ import annotations

import importlib

import pytest

LAZY = ("mexards.analysis", "mexards.dosefinding", "mexards.reporting", "mexards.simulation")


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_is_its_submodules_object(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module._HOME) <= set(module.__all__)
    for name in module.__all__:
        if name not in module._HOME:
            assert name in vars(module), name  # bound at import
            continue
        home = importlib.import_module(f"{package}.{module._HOME[name]}")
        assert getattr(module, name) is getattr(home, name), name
    star: dict[str, object] = {}
    exec(f"from {package} import *", star)  # the star import resolves every lazy name
    assert set(module.__all__) <= set(star)


@pytest.mark.parametrize("package", LAZY)
def test_an_unknown_name_is_an_attribute_error_naming_it(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
    with pytest.raises(ImportError, match="no_such_name"):
        exec(f"from {package} import no_such_name", {})
