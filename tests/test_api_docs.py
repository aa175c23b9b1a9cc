"""The public API is exactly `__all__`, and every command and format is documented."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

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


def _commands(group: click.Group, path: str = "infoscope") -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        yield f"{path} {name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{path} {name}")


def test_every_cli_command_is_in_the_readme_and_has_an_example():
    for name in cli.commands:
        assert f"infoscope {name}" in README, f"README does not show `infoscope {name}`"
    for path, command in _commands(cli):
        last = (command.help or "").rstrip().split("\n\n")[-1]
        assert "Example" in last, f"`{path} -h` does not end with an example"


def test_every_analysis_command_takes_seed_0_by_default():
    from infoscope.registry import registered_analyses

    for analysis in registered_analyses().values():
        # The registry's hint names the command: `infoscope signature learn --target ...`.
        command: Any = cli
        for word in analysis.hint.split()[1:]:
            if not isinstance(command, click.Group) or word not in command.commands:
                break
            command = command.commands[word]
        assert command is not cli, f"{analysis.name}: no command for {analysis.hint!r}"
        seed = next((p for p in command.params if p.name == "seed"), None)
        assert seed is not None, f"`{analysis.hint}` takes no --seed"
        assert seed.default == 0 and seed.show_default, f"{analysis.name}: --seed default"


def test_cli_modules_are_documented_and_run_no_sql():
    import infoscope.cli

    folder = Path(infoscope.cli.__file__).parent
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        # Commands call library functions; SQL lives in the library.
        for word in ("execute(", "SELECT ", ".con."):
            assert word not in source, f"{path.name} runs SQL ({word!r}): call the library"


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
