"""Hostile command lines: huge or deep JSON, paging out of range, long searches, control characters in stored
names and unforeseen failures all end in one plain line and an exit code, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omtx_core import cli
from omtx_core.config import Settings
from omtx_core.domain.job import Job
from omtx_core.store.sqlite import SqliteJobStore
from tests.examples import UBIQUITIN, VALID_INPUTS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    """Run the CLI in this process on a temporary data folder; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(tmp_path / "no-boltz-installed"))

    def call(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return call


def stored_job(tmp_path, name: str) -> Job:
    """A job as an earlier version or an import may have stored it, whatever its name."""
    store = SqliteJobStore(Settings(data_dir=tmp_path / "data").database_path)
    job = Job(owner="local", task_type="protein_structure", job_name=name, input={"protein_sequence": UBIQUITIN},
              input_hash="h")  # fmt: skip
    return store.create(job)


def test_json_nested_too_deep_is_invalid_input(run):
    code, out, err = run("validate", "protein_structure", "-", stdin="[" * 100_000 + "]" * 100_000)
    assert code == 2 and out == "" and "nested too deeply" in err


def test_an_integer_of_5000_digits_is_invalid_input(run):
    code, _, err = run("submit", "protein_structure", "-", stdin='{"protein_sequence": ' + "9" * 5000 + "}")
    assert code == 2 and "number" in err and "digits" in err


@pytest.mark.parametrize(
    "paging", [["--limit", "-1"], ["--limit", "0"], ["--limit", "100000000000000000000"], ["--offset", "-5"],
               ["--offset", "100000000000000000000"], ["--limit", "ten"]]
)  # fmt: skip
def test_paging_out_of_range_exits_2_with_a_message(run, paging):
    code, _, err = run("jobs", "list", *paging)
    assert code == 2 and paging[0] in err


def test_a_very_long_search_is_refused_plainly(run, tmp_path):
    stored_job(tmp_path, "a job")
    code, _, err = run("jobs", "list", "--search", "x" * 60_000)
    assert code == 2 and "--search" in err and "disk" not in err


def test_control_characters_in_stored_names_are_shown_escaped(run, tmp_path):
    job = stored_job(tmp_path, "evil\x1b[31mred\x1b]0;title\x07\u202e")
    for args in (
        ("jobs", "list"),
        ("jobs", "show", job.id),
        ("jobs", "list", "--json"),
        ("jobs", "show", job.id, "--json"),
    ):
        code, out, err = run(*args)
        assert code == 0 and "evil" in out
        assert not any(c in out + err for c in "\x1b\x07\u202e"), args
    assert json.loads(run("jobs", "show", job.id, "--json")[1])["job_name"] == job.job_name  # escaped, not altered


def test_control_characters_in_field_names_are_shown_escaped(run):
    data = dict(VALID_INPUTS["protein_structure"], **{"\x1b[2Jcolour": 1})
    code, _, err = run("validate", "protein_structure", "-", stdin=json.dumps(data))
    assert code == 2 and "\x1b" not in err and "colour" in err


def test_an_unforeseen_failure_is_one_line_with_a_hint(run, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr("omtx_core.tasks.validate_task_input", broken)
    code, out, err = run("validate", "protein_structure", "-", stdin=json.dumps(VALID_INPUTS["protein_structure"]))
    assert code == cli.EXIT_UNEXPECTED and out == ""
    assert len(err.strip().splitlines()) == 1 and "RuntimeError" in err and "report" in err


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -0`: nobody reads what the command prints
    path = tmp_path / "input.json"
    path.write_text(json.dumps(VALID_INPUTS["protein_structure"]))
    result = subprocess.run([sys.executable, "-m", "omtx_core", "validate", "protein_structure", str(path)],
                            cwd=REPO, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    os.close(write_end)
    assert result.returncode == 0 and result.stderr == ""
