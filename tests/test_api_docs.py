"""The public API is exactly `__all__`, and every command and format is documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import infoscope
from infoscope.cli.main import cli
from infoscope.ingest import registered_formats

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_all_public_names_are_exported_and_exist():
    import importlib
    import inspect

    for name in infoscope.__all__:
        assert getattr(infoscope, name) is not None
    assert sorted(dir(infoscope)) == sorted(infoscope.__all__)
    # Every public class and function of the modules behind the API is exported or private.
    for module_name in ("infoscope.store", "infoscope.records", "infoscope.errors"):
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if getattr(value, "__module__", "") != module_name:
                continue
            if name.endswith("_SCHEMA") or name in {"record_to_row", "PostKind"}:
                continue
            assert name in infoscope.__all__, f"{module_name}.{name} is public but not exported"


def test_every_cli_command_is_in_the_readme_and_has_an_example():
    for name, command in cli.commands.items():
        assert f"infoscope {name}" in README, f"README does not show `infoscope {name}`"
        assert "Example" in (command.help or ""), f"`infoscope {name} -h` has no example"


def test_every_registered_format_is_in_the_readme_and_documented():
    for name, fmt in registered_formats().items():
        assert f"`{name}`" in README, f"format {name} missing from the README table"
        module = sys.modules[type(fmt).__module__]
        assert module.__doc__ and len(module.__doc__) > 200, f"{name}: module docstring too thin"


def test_help_is_instant_and_imports_no_engine():
    code = (
        "import sys; from infoscope.cli.main import cli\n"
        "assert 'duckdb' not in sys.modules and 'ibis' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
