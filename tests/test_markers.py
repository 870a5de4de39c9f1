"""The marker rules of tests/markers.py: which tests are browser, postgres and slow, and that SLOW names real tests."""

from __future__ import annotations

import ast
import tomllib
import types
from pathlib import Path

import pytest

from tests.markers import SLOW, base_node_id, markers_for

ROOT = Path(__file__).resolve().parents[1]


def _test_names(path: Path) -> set[str]:
    """`test_x` and `TestY::test_x` for every test function in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}::{f.name}" for f in node.body if isinstance(f, ast.FunctionDef)}
    return names


@pytest.mark.parametrize("node_id", sorted(SLOW))
def test_every_slow_entry_names_a_test_that_exists(node_id: str) -> None:
    path, name = node_id.split("::", 1)
    assert (ROOT / path).is_file(), f"{node_id}: no such file; update tests/markers.py"
    assert name in _test_names(ROOT / path), f"{node_id}: no such test; update tests/markers.py"


def test_every_marker_is_registered() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    registered = {line.split(":", 1)[0]: line for line in config["markers"]}
    assert set(registered) == {"slow", "browser", "postgres", "boltz"}
    assert "--strict-markers" in config["addopts"] and "tests/boltz_real" in registered["boltz"]


def test_boltz_tests_are_the_boltz_real_folder() -> None:
    assert markers_for("tests/boltz_real/test_real_boltz.py::test_x", []) == {"boltz"}
    assert "boltz" not in markers_for("tests/boltz/test_plan.py::test_x", [])


def test_browser_tests_are_the_e2e_folder() -> None:
    assert markers_for("tests/e2e/test_browser.py::test_viewer_draws", []) == {"browser"}
    assert "browser" not in markers_for("tests/ui/test_pages.py::test_e2e_like_name", [])


def test_postgres_follows_the_fixture_closure_or_the_pg_helpers() -> None:
    from tests import pg  # here, not at the top: a module-level import would make this whole module `postgres`

    # `connect` pulls in server → supabase_server → supabase_db → pg_server; pytest lists the whole closure
    assert markers_for("tests/store/test_x.py::test_a", ["connect", "server", "supabase_db", "pg_server"]) == {
        "postgres"
    }
    assert markers_for("tests/ui/test_x.py::test_a", ["server", "tmp_path"]) == set()  # another `server` fixture
    uses_helpers = types.ModuleType("uses_helpers")
    uses_helpers.find = pg.find_or_start_postgres
    uses_module = types.ModuleType("uses_module")
    uses_module.pg = pg
    plain = types.ModuleType("plain")
    plain.Path = Path
    assert markers_for("tests/x.py::test_a", [], uses_helpers) == {"postgres"}
    assert markers_for("tests/x.py::test_a", [], uses_module) == {"postgres"}
    assert markers_for("tests/x.py::test_a", [], plain) == set()


def test_slow_matches_every_parameter_of_a_listed_test() -> None:
    listed = sorted(SLOW)[0]
    assert base_node_id(f"{listed}[a-b[c]]") == listed
    assert markers_for(f"{listed}[one]", []) == {"slow"}
    assert markers_for(f"{listed}_and_more", []) == set()


def _conftest_hook(config: pytest.Config):
    impls = config.pluginmanager.hook.pytest_collection_modifyitems.get_hookimpls()
    (ours,) = [impl for impl in impls if impl.plugin_name.endswith(str(Path("tests", "conftest.py")))]
    return ours, impls


def test_the_conftest_hook_marks_items_before_pytest_filters_them(request) -> None:
    ours, impls = _conftest_hook(request.config)
    (mark_filter,) = [impl for impl in impls if impl.plugin_name == "mark"]
    assert impls.index(ours) > impls.index(mark_filter)  # pluggy calls the last first: `-m` must see our markers

    class Item:
        def __init__(self, nodeid: str, fixturenames: list[str]) -> None:
            self.nodeid, self.fixturenames, self.added = nodeid, fixturenames, []

        def add_marker(self, name: str) -> None:
            self.added.append(name)

    slow, e2e_pg = Item(sorted(SLOW)[0] + "[x]", []), Item("tests/e2e/test_b.py::test_a", ["pg_server"])
    ours.function(items=[slow, e2e_pg, plain := Item("tests/test_b.py::test_a", ["tmp_path"])])
    assert (slow.added, e2e_pg.added, plain.added) == (["slow"], ["browser", "postgres"], [])
