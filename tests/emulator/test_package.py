"""The package surface: public names, docstring examples, and no import of the connector's client."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

import llamacloud_etl.emulator as emulator

PACKAGE = Path(emulator.__file__).parent
MODULES = sorted(
    "llamacloud_etl.emulator" + ("" if path.stem == "__init__" else f".{path.stem}")
    for path in PACKAGE.glob("*.py")
)
FORBIDDEN = ("llamacloud_etl.client", "llamacloud_etl.errors")


def _imported_modules(path: Path) -> set[str]:
    """Every module an emulator source file imports, absolute or relative."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["llamacloud_etl", "emulator", *([base] if base else [])])
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


def test_every_public_name_is_importable() -> None:
    """Each name in llamacloud_etl.emulator.__all__ resolves on the package."""
    missing = [name for name in emulator.__all__ if not hasattr(emulator, name)]
    assert missing == []


def test_no_module_imports_the_client_or_its_errors() -> None:
    """No emulator module imports llamacloud_etl.client or llamacloud_etl.errors (models' enums are fine)."""
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if m.startswith(FORBIDDEN)) for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    """Every >>> example in the module's docstrings runs and prints what it shows."""
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
