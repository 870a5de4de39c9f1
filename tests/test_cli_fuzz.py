"""Fuzzing the CLI's input commands in this process: `validate`, `plan` and `submit` on hostile JSON exit 0 or 2,
never with a traceback, and every job `submit` stores validates again as the worker will validate it.

The quick test runs in the inner loop; the thorough one (5,400 command lines) is in tests/markers.py's SLOW list.
"""

from __future__ import annotations

import collections
import io
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omtx_core import cli
from omtx_core.config import load_settings
from omtx_core.domain.job import Job
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.tasks import TASKS, validate_task_input
from omtx_core.tasks.base import is_hidden
from tests.fuzz import input_texts

QUICK, THOROUGH = 10, 300  # per task and command: 6 x 3 x 300 = 5,400 command lines
FUZZ = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


class Cli:
    """Runs `python -m omtx_core` in this process on a temporary data folder, input on stdin or in a file."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
        self.folder, self.monkeypatch, self.capsys = folder, monkeypatch, capsys
        monkeypatch.setenv("OMTX_DATA_DIR", str(folder / "data"))
        monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(folder / "no-boltz-installed"))
        self.store = SqliteJobStore(load_settings().database_path)
        self.codes: collections.Counter[int] = collections.Counter()

    def __call__(self, command: str, task: str, text: str, *, from_file: bool) -> tuple[int, str, str]:
        source = "-"
        if from_file:  # as bytes: a lone surrogate becomes text that is not UTF-8, as in a damaged file
            source = str(self.folder / "input.json")
            Path(source).write_bytes(text.encode("utf-8", "surrogatepass"))
        else:
            self.monkeypatch.setattr(sys, "stdin", io.StringIO(text))
        extra = ["--out", tempfile.mkdtemp(dir=self.folder)] if command == "plan" else []
        code = cli.main([command, task, source, *extra])
        out, err = self.capsys.readouterr()
        return code, out, err

    def check(self, command: str, task: str, text: str, from_file: bool) -> None:
        code, out, err = self(command, task, text, from_file=from_file)
        self.codes[code] += 1
        assert code in (0, cli.EXIT_INVALID), err
        assert "Traceback" not in err and (code == 0 or err.strip())
        if command == "submit" and code == 0:  # what the worker will do with the stored job
            job = self.store.get(out.strip().splitlines()[-1])
            validated = validate_task_input(job.task_type, job.input, load_settings())
            assert validated.input.model_dump(mode="json") == job.input


def fuzz(cli_run: Cli, task: str, command: str, examples: int) -> None:
    @settings(max_examples=examples, **FUZZ)
    @given(text=input_texts(task), from_file=st.booleans())
    def run(text, from_file):
        cli_run.check(command, task, text, from_file)

    run()


@pytest.fixture
def cli_run(tmp_path, monkeypatch, capsys) -> Cli:
    return Cli(tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("command", ["validate", "plan", "submit"])
def test_fuzzed_cli_input_quick(cli_run, command):
    for task in TASKS:
        fuzz(cli_run, task, command, QUICK)


@pytest.mark.parametrize("command", ["validate", "plan", "submit"])
def test_fuzzed_cli_input_thorough(cli_run, command):
    for task in TASKS:
        fuzz(cli_run, task, command, THOROUGH)
    assert cli_run.codes[0] and cli_run.codes[cli.EXIT_INVALID]  # both kinds of input were really tried


ARGUMENT = st.text(st.characters(exclude_characters="\x00"), max_size=30) | st.integers(-(2**70), 2**70).map(str)
JOB_COMMANDS = st.one_of(
    st.tuples(st.just("list"), st.sampled_from(["--search", "--limit", "--offset", "--status", "--task"]), ARGUMENT),
    st.tuples(st.sampled_from(["show", "cancel", "rerun"]), ARGUMENT),
)


def test_fuzzed_job_commands_exit_0_or_2_and_print_no_hidden_character(cli_run):
    job = Job(owner="local", task_type="protein_structure", job_name="x\x1b[2J\u202e\x00", input={}, input_hash="h")
    cli_run.store.create(job)  # a name from before names were checked

    @settings(max_examples=60, **FUZZ)
    @given(args=JOB_COMMANDS)
    def run(args):
        try:
            code = cli.main(["jobs", *args])
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
        out, err = cli_run.capsys.readouterr()
        assert code in (0, cli.EXIT_INVALID) and "Traceback" not in err
        assert not any(is_hidden(c) for c in out + err if c != "\n")

    run()
    assert "x\\u001b[2J" in cli.shown(job.job_name) and cli.main(["jobs", "list"]) == 0
    assert "x\\u001b[2J\\u202e\\u0000" in cli_run.capsys.readouterr().out
