"""The package surface: public names, docstring examples, no import of the connector's client or of httpx."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import llamacloud_etl.emulator as emulator

PACKAGE = Path(emulator.__file__).parent
MODULES = sorted(
    "llamacloud_etl.emulator" + ("" if path.stem == "__init__" else f".{path.stem}")
    for path in PACKAGE.glob("*.py")
)
FORBIDDEN = ("llamacloud_etl.client", "llamacloud_etl.errors")


def _is_type_checking_block(node: ast.If) -> bool:
    """Whether the ``if`` tests ``TYPE_CHECKING`` (or ``typing.TYPE_CHECKING``)."""
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_modules(path: Path, *, runtime_only: bool = False) -> set[str]:
    """Every module an emulator source file imports, absolute or relative, at any depth (functions too).

    With ``runtime_only``, imports under ``if TYPE_CHECKING:`` are left out (its ``else`` branch is kept).
    """
    found: set[str] = set()
    todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["llamacloud_etl", "emulator", *([base] if base else [])])
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
        if runtime_only and isinstance(node, ast.If) and _is_type_checking_block(node):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))
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


def test_no_module_imports_httpx_at_runtime() -> None:
    """No emulator module imports httpx outside ``if TYPE_CHECKING:`` (docstring examples may use it)."""
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    offenders = {
        path.name: sorted(
            m for m in _imported_modules(path, runtime_only=True) if m == "httpx" or m.startswith("httpx.")
        )
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_every_module_imports_with_httpx_blocked() -> None:
    """In a fresh interpreter where ``import httpx`` fails, every emulator module still imports."""
    code = (
        "import importlib, sys\n"
        "sys.modules['httpx'] = None  # any import of httpx now raises ImportError\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
    )
    root = str(PACKAGE.parent.parent)
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {root!r})\n{code}", *MODULES],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
