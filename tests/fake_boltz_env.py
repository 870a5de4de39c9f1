"""How tests point OMTX-Hub at the stand-in `boltz` executable, and read back what it was asked to do."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

FAKE_BOLTZ = Path(__file__).resolve().parent / "bin" / "fake_boltz.py"
FAKE_BOLTZ_COMMAND = shlex.join([sys.executable, str(FAKE_BOLTZ)])


def fake_boltz(**variables: str) -> str:
    """The stand-in `boltz` as a command that sets its FAKE_BOLTZ_* variables (e.g. `mode="hang"`).

    The local engine hands Boltz only an allow-list of the environment, so the stand-in's settings travel in the
    command itself, as a user would pass anything else Boltz needs (`env NAME=value boltz`).
    """
    names = [f"FAKE_BOLTZ_{name.upper()}={value}" for name, value in variables.items()]
    return shlex.join(["env", *names, sys.executable, str(FAKE_BOLTZ)])


def recorded(path: Path) -> tuple[list[list[str]], list[str]]:
    """(argv of every `boltz` call, sequence of every MSA server request) from FAKE_BOLTZ_RECORD."""
    entries = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [e["argv"] for e in entries if "argv" in e], [e["msa"] for e in entries if "msa" in e]
