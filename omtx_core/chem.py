"""Small-molecule input: SMILES parsing and canonicalisation (RDKit), CCD code checks, affinity size rules."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

from omtx_core.errors import FieldProblem

MAX_AFFINITY_HEAVY_ATOMS = 128  # Boltz-2 raises above this (BOLTZ.md, affinity rules)
TRAINED_AFFINITY_HEAVY_ATOMS = 56  # largest ligand in Boltz-2's affinity training data
MAX_SMILES_LENGTH = 2000
_CCD_CODE = re.compile(r"^[A-Z0-9]{1,5}$")
_PARSE_REASON = re.compile(r"SMILES Parse Error: (.+?)(?: while parsing| for input|:|$)")
_PARSE_POSITION = re.compile(r"around position (\d+)")
_VALENCE = re.compile(r"atom # \d+ (\w+), (\d+)")


@dataclass(frozen=True)
class Ligand:
    """A validated small molecule: canonical SMILES (or CCD code) and its heavy-atom count."""

    smiles: str | None
    ccd: str | None
    heavy_atoms: int | None
    removed_fragments: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return self.ccd or self.smiles or ""


def parse_smiles(text: str) -> Ligand:
    """Parse, sanitise and canonicalise a SMILES; keep the largest fragment (salts and counter-ions go)."""
    smiles = text.strip()
    _check_smiles_text(smiles)
    from rdkit import Chem, rdBase

    with rdBase.CaptureErrorLog() as log:  # keeps RDKit's messages off stderr and in our hands
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is None:
            raise FieldProblem(f"Cannot read this SMILES: {_parse_reason(log.messages)}.", _SMILES_HINT)
        _sanitize(mol)
        fragments = sorted(Chem.GetMolFrags(mol, asMols=True), key=lambda m: -m.GetNumHeavyAtoms())
        main = Chem.RemoveHs(fragments[0])
    if main.GetNumHeavyAtoms() == 0:
        raise FieldProblem("This SMILES has no heavy atoms.", "Give the molecule's full SMILES.")
    removed = tuple(Chem.MolToSmiles(f) for f in fragments[1:])
    return Ligand(Chem.MolToSmiles(main), None, main.GetNumHeavyAtoms(), removed)


_SMILES_HINT = "Check the SMILES (copy it again from the source, or draw and export it from a sketcher)."


def _check_smiles_text(smiles: str) -> None:
    if not smiles:
        raise FieldProblem("The SMILES is empty.", "Paste a SMILES string, e.g. CC(=O)Oc1ccccc1C(=O)O.")
    if len(smiles) > MAX_SMILES_LENGTH:
        raise FieldProblem(
            f"The SMILES is {len(smiles):,} characters long; at most {MAX_SMILES_LENGTH:,} are accepted.",
            "Give one small molecule; large biomolecules go in as protein, DNA or RNA chains.",
        )
    odd = next((c for c in smiles if not c.isascii() or c.isspace()), None)
    if odd is not None:
        raise FieldProblem(
            f"The SMILES contains {odd!r} at position {smiles.index(odd) + 1}.",
            "A SMILES has no spaces or non-ASCII characters; remove names or notes after it.",
        )


def _parse_reason(log_text: str) -> str:
    reason = next((m[1].strip() for m in _PARSE_REASON.finditer(log_text)), "syntax error")
    position = _PARSE_POSITION.search(log_text)
    return f"{reason} (around position {position[1]})" if position else reason


def _sanitize(mol) -> None:
    from rdkit import Chem

    problems = Chem.DetectChemistryProblems(mol)
    if problems:
        raise FieldProblem(f"The SMILES is not a valid molecule: {_describe(problems[0])}.", _SMILES_HINT)
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several unrelated types for chemistry problems
        raise FieldProblem(f"The SMILES is not a valid molecule: {exc}.", _SMILES_HINT) from None


def _describe(problem) -> str:
    kind = problem.GetType()
    if kind == "AtomValenceException":
        detail = _VALENCE.search(problem.Message())
        element = f" ({detail[1]}, valence {detail[2]})" if detail else ""
        return f"atom {problem.GetAtomIdx() + 1}{element} has more bonds than its element allows"
    if kind == "KekulizeException":
        atoms = ", ".join(str(i + 1) for i in problem.GetAtomIndices())
        return f"the aromatic ring with atoms {atoms} cannot be given alternating bonds"
    return problem.Message()


def check_ccd(text: str) -> Ligand:
    """Validate a Chemical Component Dictionary code (upper-cased) and count its heavy atoms."""
    code = text.strip().upper()
    if not _CCD_CODE.match(code):
        raise FieldProblem(
            f"{text.strip()!r} is not a CCD code.",
            "A CCD code has 1–5 letters or digits, e.g. ATP, HEM or NAG.",
        )
    heavy_atoms = _ccd_heavy_atoms(code)
    if heavy_atoms == 0:
        raise FieldProblem(
            f"{code} is not in the Chemical Component Dictionary.",
            "Check the code at the PDB's Chemical Component search, or give the ligand as SMILES.",
        )
    return Ligand(None, code, heavy_atoms)


@lru_cache(maxsize=4096)
def _ccd_heavy_atoms(code: str) -> int | None:
    """Heavy atoms of a CCD component from biotite's bundled CCD; 0 when unknown, None without biotite."""
    try:
        from biotite.structure.info import residue
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # biotite's note that it fell back to model coordinates: no user's concern
        try:
            # Only the atoms are counted, so an entry lacking coordinates (which biotite cannot build) is as good.
            atoms = residue(code, allow_missing_coord=True)
        except KeyError:
            return 0
        except Exception as exc:  # an entry biotite cannot read at all
            raise FieldProblem(
                f"{code} is in the Chemical Component Dictionary, but its entry cannot be read here ({exc}).",
                "Give the ligand as SMILES instead (the PDB's Chemical Component page lists it).",
            ) from None
    return int((atoms.element != "H").sum())


def check_affinity_ligand_size(ligand: Ligand) -> str | None:
    """Reject affinity ligands Boltz-2 refuses; return a warning for ones larger than its training set."""
    atoms = ligand.heavy_atoms
    if atoms is None:
        return None
    if atoms > MAX_AFFINITY_HEAVY_ATOMS:
        raise FieldProblem(
            f"The ligand has {atoms} heavy atoms; Boltz-2 scores affinity for at most {MAX_AFFINITY_HEAVY_ATOMS}.",
            "Use a smaller molecule, or switch affinity prediction off to predict the structure only.",
        )
    if atoms > TRAINED_AFFINITY_HEAVY_ATOMS:
        return (
            f"The ligand has {atoms} heavy atoms, more than the {TRAINED_AFFINITY_HEAVY_ATOMS} of the largest "
            "ligand Boltz-2 was trained on; treat its affinity as less reliable."
        )
    return None
