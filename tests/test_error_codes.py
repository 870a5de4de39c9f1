"""Every error a user can meet has a stable code, a hint at every construction site, and the CLI shows the code."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from omtx_core import cli, errors
from omtx_core.errors import OmtxError, StoreRefused, error_code

ROOT = Path(__file__).resolve().parents[1]
CLASSES = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, OmtxError)]
# Built with their own arguments (problems), not (message, hint).
OWN_SIGNATURE = {"InputError"}


def test_every_error_class_has_its_own_stable_code():
    codes = {cls.__name__: cls.__dict__.get("code") for cls in CLASSES}
    assert all(isinstance(code, str) and code.isidentifier() and code.islower() for code in codes.values()), codes
    assert len(set(codes.values())) == len(codes), codes
    assert codes["JobNotFound"] == "job_not_found" and codes["LimitExceeded"] == "limit_exceeded"


def test_a_class_default_hint_stands_in_for_a_missing_one():
    assert errors.StaleJobError("Job x is running, not pending.").hint == errors.StaleJobError.default_hint != ""
    assert errors.StoreUnavailable("Down.", "Wait.").hint == "Wait."


def test_a_store_refusal_keeps_the_store_code_and_its_error_code():
    refused = StoreRefused("Supabase refused.", "Check the key.", store_code="42501")
    assert refused.store_code == "42501" and refused.code == error_code(refused) == "store_refused"
    assert error_code(RuntimeError("x")) == "unexpected"


def _constructions_without_a_hint() -> list[str]:
    # A class whose next step is always the same carries it as its default hint.
    names = {cls.__name__ for cls in CLASSES if not cls.default_hint} - OWN_SIGNATURE
    missing = []
    for path in sorted((ROOT / "omtx_core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                given = len(node.args) + sum(keyword.arg == "hint" for keyword in node.keywords)
                if given < 2 and not any(isinstance(a, ast.Starred) for a in node.args):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)[:100]}")
    return missing


def test_every_error_is_built_with_a_message_and_a_hint():
    """`raise JobNotFound("...")` alone leaves the user without a next step (InputError.single etc. are separate)."""
    assert _constructions_without_a_hint() == []


def test_the_cli_shows_the_error_code(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(tmp_path / "no-boltz"))
    assert cli.main(["jobs", "show", "0123456789abcdef"]) == cli.EXIT_INVALID
    assert "(error code: job_not_found)" in capsys.readouterr().err


def test_an_unforeseen_cli_failure_gives_an_id_that_finds_the_traceback(tmp_path, monkeypatch, capsys):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a secret-looking detail sb_secret_123")

    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("omtx_core.tasks.validate_task_input", broken)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(json.dumps({"protein_sequence": "MKT"})))
    assert cli.main(["validate", "protein_structure", "-"]) == cli.EXIT_UNEXPECTED
    err = capsys.readouterr().err
    assert "Traceback" not in err and "sb_secret_123" not in err and len(err.strip().splitlines()) == 1
    error_id = err.split("error id ")[1][:8]
    saved = Path(err.split("the details are in ")[1].split(". ")[0])
    assert saved.name == f"{error_id}.log" and "Traceback" in saved.read_text() and error_id in saved.read_text()
