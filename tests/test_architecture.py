"""Layering rules from ARCHITECTURE.md: only the UI imports Streamlit, `import omtx_core` stays light, docstrings."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import omtx_core

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "omtx_core"
UI = CORE / "ui"
HEAVY = ["streamlit", "rdkit", "modal", "supabase", "plotly", "pandas"]


def _core_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if UI not in p.parents)


def _all_modules() -> list[Path]:
    return sorted([*CORE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"])


def _imported_roots(tree: ast.AST) -> set[str]:
    """Top-level package of every import in the module, including imports inside functions."""
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", _core_modules(), ids=_rel)
def test_core_never_imports_streamlit(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert "streamlit" not in _imported_roots(tree), f"{_rel(path)} imports streamlit; only omtx_core/ui may"


def test_the_import_check_sees_imports_inside_functions() -> None:
    tree = ast.parse("def f():\n    from streamlit import session_state\n\nimport streamlit.components.v1\n")
    assert _imported_roots(tree) == {"streamlit"}


def test_import_omtx_core_is_light() -> None:
    code = f"import json, sys, omtx_core; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [], "import omtx_core loaded heavy packages"


@pytest.mark.parametrize("path", _all_modules(), ids=_rel)
def test_every_module_opens_with_a_docstring(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstring = ast.get_docstring(tree)
    assert docstring and docstring.strip(), f"{_rel(path)} has no module docstring"


def test_public_api_is_sorted() -> None:
    assert omtx_core.__all__ == sorted(omtx_core.__all__)
