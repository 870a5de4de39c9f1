"""What the benches share: the stand-in `boltz` executable run by path, its record file, and realistic inputs."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The stand-in is run as a program (never imported), so bench/ depends on no test module.
FAKE_BOLTZ_COMMAND = shlex.join([sys.executable, str(REPO / "tests" / "bin" / "fake_boltz.py")])


def standin_command(**variables: str) -> str:
    """The stand-in with its FAKE_BOLTZ_* settings in the command (Boltz gets only an allow-listed environment)."""
    names = [f"FAKE_BOLTZ_{name.upper()}={value}" for name, value in variables.items()]
    return shlex.join(["env", *names, *shlex.split(FAKE_BOLTZ_COMMAND)])


FIXTURES = REPO.parent / "shared" / "fixtures" / "boltz2"
CARAZOLOL_CASE = FIXTURES / "protein_ligand_affinity_b2ar_carazolol"
CARAZOLOL = "CC(C)[NH2+]C[C@@H](O)COc1cccc2[nH]c3ccccc3c12"
LYSOZYME = (
    "KVFGRCELAAAMKRHGLDNYRGYSLGNWVCAAKFESNFNTQATNRNTDGSTDYGILQINSRWWCNDGRTPGSRNLCNIPCSALLSSDITASVNCAKKIVS"
    "DGNGMNAWVAWRNRCKGTDVQAWIRGCRL"
)


def recorded(path: Path) -> tuple[list[list[str]], list[str]]:
    """(argv of every `boltz` call, sequence of every MSA server request) the stand-in wrote to FAKE_BOLTZ_RECORD."""
    entries = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [e["argv"] for e in entries if "argv" in e], [e["msa"] for e in entries if "msa" in e]


def b2ar_sequence() -> str:
    """The β2-adrenergic receptor chain of the carazolol fixture: the stand-in always returns that fold."""
    import gemmi

    model = next(CARAZOLOL_CASE.glob("boltz_results_*/predictions/*/*_model_0.cif"))
    structure = gemmi.read_structure(str(model))
    return gemmi.one_letter_code([residue.name for residue in structure[0]["A"]])


def screen_compounds(n: int, linker: str = "N") -> list[dict[str, str]]:
    """n distinct small molecules, C(a)-linker-C(b)-OH for a in 1.., b in 1..10."""
    return [{"smiles": "C" * (i // 10 + 1) + linker + "C" * (i % 10 + 1) + "O"} for i in range(n)]
