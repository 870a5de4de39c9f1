"""`python -m omtx_core config check`: the effective configuration, secrets hidden, and every problem at once."""

from __future__ import annotations

import argparse
from pathlib import Path

from omtx_core.cli_jobs import shown
from omtx_core.config import ENV_PREFIX
from omtx_core.config_check import DEFAULT_SECRETS, check_configuration, read_secrets

EXIT_PROBLEMS = 1


def add_config_command(commands: argparse._SubParsersAction) -> None:
    """Register `config check [--secrets PATH]` on the main parser."""
    config = commands.add_parser("config", help="check the configuration")
    actions = config.add_subparsers(dest="config_command", required=True)
    check = actions.add_parser(
        "check", help="print the effective settings (secrets hidden) and every problem; exit 1 when there are any"
    )
    check.add_argument(
        "--secrets", type=Path, default=DEFAULT_SECRETS, help=f"the app's secrets file (default {DEFAULT_SECRETS})"
    )
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    secrets = read_secrets(args.secrets)
    overrides = {name: value for name, value in secrets.items() if name.startswith(ENV_PREFIX)}
    report = check_configuration(overrides, auth_section=secrets.get("auth"))
    where = args.secrets if args.secrets.is_file() else f"{args.secrets} (not found)"
    print(shown(f"Effective configuration (environment, then {where}; secrets hidden):"))
    width = max(len(row.variable) for row in report.effective)
    for row in report.effective:
        print(shown(f"  {row.variable:<{width}}  {row.value}  [{row.source}]"))
    if not report.problems:
        print("No problems found.")
        return 0
    print(shown(f"{len(report.problems)} problem(s):"))
    for problem in report.problems:
        print(shown(f"- {problem.field}: {problem.message} Fix: {problem.hint}"))
    return EXIT_PROBLEMS
