"""Every module of the package states its public names with `__all__`, and the list is true:
each name exists, and each public class or function the module defines is listed (a helper
that is not public starts with an underscore)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import infoscope

MODULES = sorted(m.name for m in pkgutil.walk_packages(infoscope.__path__, "infoscope."))


def test_the_walk_finds_every_layer():
    # A broken walk (an import error swallowed) would make the test below vacuous.
    assert {"infoscope.store", "infoscope.registry", "infoscope.cli.main"} <= set(MODULES)
    assert any(m.startswith("infoscope.articles.techniques.") for m in MODULES)
    assert len(MODULES) > 100


@pytest.mark.parametrize("name", MODULES)
def test_module_lists_its_public_names(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    listed = list(module.__all__)
    assert len(listed) == len(set(listed)), f"{name}.__all__ lists a name twice"
    for public in listed:
        assert hasattr(module, public), f"{name}.__all__ names {public!r}, which does not exist"
    defined = [
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == name
    ]
    unlisted = sorted(set(defined) - set(listed))
    assert not unlisted, f"{name} defines public {unlisted} but leaves them out of __all__"
