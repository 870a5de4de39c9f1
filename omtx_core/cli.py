"""`python -m omtx_core`: validate and plan task inputs, inspect and import Boltz output; exit 2 on bad input."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omtx_core.cli_jobs import shown
from omtx_core.errors import InputError, OmtxError, error_code

if TYPE_CHECKING:
    from omtx_core.domain.runs import RunSummary

EXIT_INVALID = 2
EXIT_UNEXPECTED = 70  # sysexits' EX_SOFTWARE: a fault of this program, not of the input
EXIT_INTERRUPTED = 130
log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure ends in plain lines on stderr and an exit code, never a traceback."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # here, so a reader that has gone away is handled below and not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()  # the reader (`| head`) has gone: nothing more to say
        return 0
    except Exception as exc:  # a fault nobody foresaw: one line with an error id; the traceback goes to a file
        error_id, path = _save_traceback(exc)
        where = f"; the details are in {path}" if path else ""
        print(
            shown(f"Unexpected error ({type(exc).__name__}), error id {error_id}{where}. This is a fault in "
                  "OMTX-Hub, not in your input: please report it with the command you ran and the error id."),
            file=sys.stderr,
        )  # fmt: skip
        return EXIT_UNEXPECTED


def _run(argv: list[str] | None) -> int:
    from omtx_core.cli_jobs import CliContext

    parser = _parser()
    args = parser.parse_args(argv)
    args.ctx = CliContext()  # settings and stores, built on first use: `inspect` needs neither
    _configure_logging(args.ctx)
    try:
        return args.handler(args)
    except InputError as exc:
        for problem in exc.problems:
            print(shown(str(problem)), file=sys.stderr)
        return EXIT_INVALID
    except OmtxError as exc:
        print(shown(f"{exc} (error code: {error_code(exc)})"), file=sys.stderr)
        return EXIT_INVALID


def _configure_logging(ctx) -> None:
    from omtx_core.logs import configure_logging

    try:
        configure_logging(ctx.settings)
    except OmtxError:  # a bad setting: log with the defaults; a command that needs settings reports it
        configure_logging(None)


def _save_traceback(exc: Exception) -> tuple[str, Path | None]:
    """An id for an unforeseen error, logged with its traceback at debug level and saved in a private file under
    that id: a terminal gets one plain line, never a traceback, and the report can still be traced."""
    error_id = secrets.token_hex(4)
    log.debug("unexpected error %s", error_id, exc_info=exc)
    folder = Path(tempfile.gettempdir()) / "omtx-hub-errors"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"{error_id}.log"
        path.touch(mode=0o600)
        path.write_text(f"error id {error_id}\n" + "".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError:  # no writable temporary folder: the id alone must do
        return error_id, None
    return error_id, path


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; pointing it at /dev/null keeps that flush from failing loudly.
    with contextlib.suppress(OSError, ValueError):  # no real file descriptor (a test capturing stdout)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _parser() -> argparse.ArgumentParser:
    from omtx_core.tasks import TASKS

    parser = argparse.ArgumentParser(prog="python -m omtx_core", description="OMTX-Hub: Boltz-2 predictions.")
    commands = parser.add_subparsers(dest="command", required=True)
    task_help = "task id: " + ", ".join(TASKS)

    validate = commands.add_parser("validate", help="check a task input and print it normalised as JSON")
    validate.add_argument("task", help=task_help)
    validate.add_argument("input", type=Path, help="input JSON file ('-' for standard input)")
    validate.set_defaults(handler=_validate)

    plan = commands.add_parser("plan", help="write one Boltz input YAML per run into a folder")
    plan.add_argument("task", help=task_help)
    plan.add_argument("input", type=Path, help="input JSON file ('-' for standard input)")
    plan.add_argument("--out", type=Path, required=True, help="folder for the <run>.yaml files")
    plan.set_defaults(handler=_plan)

    inspect = commands.add_parser("inspect", help="summarise a Boltz output folder")
    inspect.add_argument("results", type=Path, help="a boltz_results_<name> folder (or its predictions)")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    inspect.set_defaults(handler=_inspect)

    from omtx_core.cli_api import add_api_command
    from omtx_core.cli_config import add_config_command
    from omtx_core.cli_health import add_health_command
    from omtx_core.cli_jobs import add_job_commands
    from omtx_core.cli_keys import add_keys_command
    from omtx_core.cli_results import add_import_command

    add_import_command(commands)
    add_config_command(commands)
    add_health_command(commands)
    add_keys_command(commands)
    add_api_command(commands)
    add_job_commands(commands, task_help, lambda name: _read_json(Path(name)))
    return parser


def _validate(args: argparse.Namespace) -> int:
    validated = _validated(args)
    print(shown(json.dumps(validated.input.model_dump(mode="json"), indent=2, ensure_ascii=False), lines=True))
    return 0


def _plan(args: argparse.Namespace) -> int:
    validated = _validated(args)
    validated.plan.write(args.out)
    for run in validated.plan.runs:
        print(run.name)  # file-system safe by construction
    return 0


def _validated(args: argparse.Namespace):
    from omtx_core.tasks import validate_task_input

    validated = validate_task_input(args.task, _read_json(args.input), args.ctx.settings)
    for warning in validated.warnings:
        print(shown(f"warning: {warning}"), file=sys.stderr)
    return validated


def _read_json(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(
            "", f"Cannot read {path}: {exc}.", "Check the file name and encoding (UTF-8)."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(
            "",
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            "Fix the JSON syntax (a JSON object of field names and values).",
        ) from None
    except RecursionError:
        raise InputError.single(
            "",
            f"{path} is nested too deeply to read.",
            "Give a JSON object of field names and values; no task input nests more than a few levels.",
        ) from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise InputError.single(
            "",
            f"{path} holds a number of more than 4,300 digits.",
            "No field takes a number that long; check the numbers in the file.",
        ) from None


def _inspect(args: argparse.Namespace) -> int:
    from omtx_core.boltz.outputs import parse_boltz_output, summarize_prediction

    predictions = [summarize_prediction(p) for p in parse_boltz_output(args.results)]
    if args.json:
        print(
            shown(json.dumps({"predictions": [p.model_dump(mode="json") for p in predictions]}, indent=2), lines=True)
        )
    else:
        for prediction in predictions:
            print(shown(_describe(prediction), lines=True))
    return 0


def _describe(prediction: RunSummary) -> str:
    chains = ", ".join(f"{c.id} {c.type} ({c.length})" for c in prediction.chains)
    lines = [f"{prediction.name}: {chains}"]
    for model in prediction.models:
        lines.append(
            f"  model {model.rank}: confidence {model.confidence_score:.3f}, pTM {_number(model.ptm)}, "
            f"ipTM {_number(model.iptm)}, mean pLDDT {_plddt(model.plddt_mean)}"
        )
    affinity = prediction.affinity
    if affinity:
        lines.append(
            f"  affinity: pIC50 {affinity.pic50:.2f} (IC50 {affinity.ic50_nm:.3g} nM), "
            f"binder probability {affinity.affinity_probability_binary:.3f}"
        )
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _plddt(fraction: float | None) -> str:
    """pLDDT as people read it (0–100, as in the structure's B-factors); Boltz's JSON and arrays hold 0–1."""
    return "—" if fraction is None else f"{fraction * 100:.1f} (0–100)"
