"""Architecture rules, read from the AST: one-way imports, one error module, one artifact layout, small modules."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import omtx_core
from omtx_core.errors import OmtxError

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "omtx_core"
UI = CORE / "ui"
HEAVY = ["streamlit", "rdkit", "modal", "supabase", "plotly", "pandas"]
MAX_LINES = 400
# What each core package may not import (by the first name under omtx_core); the job model, identity and artifact
# layout sit below everything that handles jobs, and the Boltz contract below the engines that run it; analyses
# are generic (the tasks call them with their own chains and runs), so they know no task.
FORBIDDEN = {
    "domain": {"jobs", "store", "engines", "boltz", "tasks", "analysis", "ui", "cache"},
    "boltz": {"engines", "store", "jobs", "tasks", "analysis", "ui"},
    "engines": {"store", "jobs", "tasks", "analysis", "ui"},
    "store": {"engines", "jobs", "tasks", "analysis", "ui"},
    "analysis": {"engines", "store", "jobs", "tasks", "ui"},
}
LAYOUT = CORE / "domain" / "layout.py"
ARTIFACT_PREFIXES = ("inputs/", "results/", "logs/")


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


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", _core_modules(), ids=_rel)
def test_core_never_imports_streamlit(path: Path) -> None:
    tree = _parse(path)
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
    tree = _parse(path)
    docstring = ast.get_docstring(tree)
    assert docstring and docstring.strip(), f"{_rel(path)} has no module docstring"


def test_public_api_is_sorted() -> None:
    assert omtx_core.__all__ == sorted(omtx_core.__all__)


def _package_of(path: Path) -> list[str]:
    """The package a module's relative imports start from: omtx_core/jobs/worker.py and jobs/__init__.py → jobs."""
    return list(path.relative_to(ROOT).parent.parts)


def _core_imports(tree: ast.AST, package: list[str]) -> list[tuple[int, str]]:
    """(line, first name under omtx_core) of every omtx_core import, relative ones resolved, in functions too."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # `from omtx_core import jobs` imports the subpackage; `from omtx_core.jobs import x` imports jobs
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return [(line, name.split(".")[1]) for line, name in found if name.startswith("omtx_core.")]


def _forbidden_for(path: Path) -> set[str]:
    parts = path.relative_to(CORE).parts
    forbidden = set(FORBIDDEN.get(parts[0], set())) if len(parts) > 1 else set()
    return forbidden if parts[0] == "ui" else forbidden | {"ui"}  # only ui/, pages/ and app.py may use the UI


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=_rel)
def test_imports_point_one_way(path: Path) -> None:
    forbidden = _forbidden_for(path)
    imports = _core_imports(_parse(path), _package_of(path))
    wrong = [f"line {line}: omtx_core.{name}" for line, name in imports if name in forbidden]
    assert not wrong, f"{_rel(path)} imports what sits above it: {', '.join(wrong)}"


def test_the_import_rule_resolves_relative_and_nested_imports() -> None:
    tree = ast.parse("from ..store import sqlite\ndef f():\n    from omtx_core import jobs\nfrom . import local\n")
    imports = _core_imports(tree, _package_of(CORE / "engines" / "modal.py"))
    assert sorted(imports) == [(1, "store"), (3, "jobs"), (4, "engines")]
    assert _forbidden_for(CORE / "engines" / "modal.py") >= {"store", "jobs", "ui"}
    assert "ui" not in _forbidden_for(UI / "forms.py") and "ui" in _forbidden_for(CORE / "cli.py")


def _all_core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(omtx_core.__path__, "omtx_core.") if not m.name.endswith("__main__")]


def _subclasses(cls: type) -> list[type]:
    return [sub for child in cls.__subclasses__() for sub in (child, *_subclasses(child))]


def test_every_error_is_defined_in_errors_py() -> None:
    for name in _all_core_modules():
        importlib.import_module(name)
    elsewhere = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _subclasses(OmtxError)
        if cls.__module__.startswith("omtx_core") and cls.__module__ != "omtx_core.errors"
    }  # classes that tests derive for themselves are not the product's
    assert not elsewhere, f"OmtxError subclasses outside omtx_core/errors.py: {sorted(elsewhere)}"


def _hand_built_keys(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals and f-strings that start like an artifact key (`results/...`)."""
    # an f-string's literal parts are Constant nodes too: judge the f-string by its start, never by a middle part
    inner = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner:
            text = node.value
        else:
            continue
        if text.startswith(ARTIFACT_PREFIXES):
            found.append((node.lineno, text))
    return sorted(set(found))


def test_only_the_layout_module_spells_artifact_keys() -> None:
    offenders = [
        f"{_rel(path)}:{line} {text!r}"
        for path in _all_modules()
        if path != LAYOUT
        for line, text in _hand_built_keys(_parse(path))
    ]
    assert not offenders, "artifact keys built by hand (use omtx_core.domain.layout):\n" + "\n".join(offenders)


def test_the_key_rule_sees_f_strings_and_literals_but_not_their_middles() -> None:
    tree = ast.parse('a = f"results/{j}/x.json"\nb = "logs/run.log"\nc = f"{j}/results/x"\nd = "see results/"\n')
    assert _hand_built_keys(tree) == [(1, "results/"), (2, "logs/run.log")]


def test_every_module_is_under_400_lines() -> None:
    folders = [CORE, ROOT / "pages", ROOT / "tests", ROOT / "bench"]
    modules = [ROOT / "app.py", *(path for folder in folders for path in folder.rglob("*.py"))]
    long = {_rel(path): n for path in modules if (n := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert not long, f"modules of {MAX_LINES} lines or more (split them): {long}"


def test_benchmarks_import_nothing_from_tests() -> None:
    offenders = [
        _rel(path) for path in sorted((ROOT / "bench").rglob("*.py")) if "tests" in _imported_roots(_parse(path))
    ]
    assert not offenders, f"bench/ must stand alone, but these import from tests/: {offenders}"


def _first_call(tree: ast.Module) -> str | None:
    """The name called by the module's first statement that is not an import or its docstring."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        return call.func.id if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else None
    return None


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_every_page_first_keeps_itself_inside_the_app(path: Path) -> None:
    # A page run outside app.py's navigation (a fresh server's first request) must rerun inside it before drawing.
    assert _first_call(_parse(path)) == "inside_app", f"{_rel(path)} must call inside_app() right after its imports"
