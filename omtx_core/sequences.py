"""Sequence parsing per molecule type (protein, DNA, RNA) and point-mutation notation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from omtx_core.errors import FieldProblem

PolymerType = Literal["protein", "dna", "rna"]

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
ALPHABETS: dict[str, str] = {"protein": AMINO_ACIDS + "X", "dna": "ACGTN", "rna": "ACGUN"}
_ALPHABET_WORDS = {
    "protein": "the 20 standard amino acids or X",
    "dna": "A, C, G, T or N",
    "rna": "A, C, G, U or N",
}
THREE_TO_ONE = {
    "ALA": "A",
    "ARG": "R",
    "ASN": "N",
    "ASP": "D",
    "CYS": "C",
    "GLN": "Q",
    "GLU": "E",
    "GLY": "G",
    "HIS": "H",
    "ILE": "I",
    "LEU": "L",
    "LYS": "K",
    "MET": "M",
    "PHE": "F",
    "PRO": "P",
    "SER": "S",
    "THR": "T",
    "TRP": "W",
    "TYR": "Y",
    "VAL": "V",
}


def parse_fasta(text: str) -> list[tuple[str, str]]:
    """Split FASTA text into (header, raw sequence) records; text without headers is one record."""
    records: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            records.append((stripped[1:].strip(), []))
        elif stripped and not stripped.startswith(";"):
            if not records:
                records.append(("", []))
            records[-1][1].append(stripped)
    return [(header, "".join(lines)) for header, lines in records]


def clean_sequence(text: str, kind: PolymerType = "protein") -> str:
    """One sequence from pasted text: FASTA header, whitespace and a final stop `*` removed, upper case.

    Raises FieldProblem naming the first bad residue position (1-based, in the cleaned sequence).
    """
    records = parse_fasta(text)
    if len(records) > 1:
        raise FieldProblem(
            f"Contains {len(records)} FASTA records; this field takes one sequence.",
            "Paste a single sequence, or use the protein complex task for several chains.",
        )
    raw = records[0][1] if records else ""
    sequence = "".join(c.upper() if c.isascii() else c for c in raw if not c.isspace())
    sequence = sequence.removesuffix("*")
    if not sequence:
        raise FieldProblem("The sequence is empty.", f"Paste a {_kind_name(kind)} sequence.")
    _check_alphabet(sequence, kind)
    return sequence


def _kind_name(kind: PolymerType) -> str:
    return "protein" if kind == "protein" else kind.upper()


def _check_alphabet(sequence: str, kind: PolymerType) -> None:
    alphabet = ALPHABETS[kind]
    bad = [(i, c) for i, c in enumerate(sequence, start=1) if c not in alphabet]
    if not bad:
        return
    position, letter = bad[0]
    more = f" ({len(bad) - 1} more invalid characters follow)" if len(bad) > 1 else ""
    raise FieldProblem(
        f"Residue {position} is {letter!r}, which is not {_ALPHABET_WORDS[kind]}{more}.",
        _alphabet_hint(letter, kind),
    )


def _alphabet_hint(letter: str, kind: PolymerType) -> str:
    if letter.isdigit():
        return "Remove residue numbering; paste the sequence letters only."
    if kind == "dna" and letter == "U":
        return "U is RNA; give this chain as RNA, or replace U with T."
    if kind == "rna" and letter == "T":
        return "T is DNA; give this chain as DNA, or replace T with U."
    if kind == "protein" and letter in "BZJUO":
        return f"Replace the ambiguous or non-standard residue {letter!r} with X or the intended amino acid."
    return f"Remove or replace it; a {_kind_name(kind)} sequence may only contain {_ALPHABET_WORDS[kind]}."


def check_length(sequence: str, minimum: int, maximum: int, what: str = "sequence") -> None:
    """Raise FieldProblem when a cleaned sequence is outside [minimum, maximum] residues."""
    if len(sequence) < minimum:
        raise FieldProblem(
            f"The {what} has {len(sequence)} residues; at least {minimum} are needed.",
            "Paste the complete sequence.",
        )
    if len(sequence) > maximum:
        raise FieldProblem(
            f"The {what} has {len(sequence):,} residues; at most {maximum:,} are accepted.",
            "Trim it to the domain of interest.",
        )


def looks_like_nucleotides(sequence: str) -> bool:
    """True for a 'protein' sequence made only of nucleotide letters (a likely paste mistake)."""
    return len(sequence) >= 20 and set(sequence) <= set("ACGTUN")


@dataclass(frozen=True, order=True)
class Mutation:
    """A point substitution: residue `position` (1-based) changes from `wildtype` to `mutant`."""

    position: int
    wildtype: str
    mutant: str

    def __str__(self) -> str:
        return f"{self.wildtype}{self.position}{self.mutant}"


_MUTATION = re.compile(r"^(?:p\.)?([A-Za-z]{1}|[A-Za-z]{3})(\d+)([A-Za-z]{1}|[A-Za-z]{3})$")
_SEPARATORS = re.compile(r"[/,;+\s]+")
_NOT_SUBSTITUTIONS = {"del", "dup", "ins", "ter"}


def parse_mutations(text: str, wildtype: str) -> list[Mutation]:
    """Parse `K2A`, `K2A/L5P`, `K2A,L5P` or `p.Lys2Ala` against the wild type; sorted by position."""
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    if not tokens:
        raise FieldProblem("No mutations given.", "Write mutations like K2A, or K2A/L5P for several.")
    mutations = [_parse_one(token, wildtype) for token in tokens]
    positions = [m.position for m in mutations]
    duplicate = next((p for p in positions if positions.count(p) > 1), None)
    if duplicate is not None:
        raise FieldProblem(f"Position {duplicate} is mutated more than once.", "Give each position one substitution.")
    return sorted(mutations)


def _parse_one(token: str, wildtype: str) -> Mutation:
    match = _MUTATION.match(token)
    if not match or match[3].lower() in _NOT_SUBSTITUTIONS:
        raise FieldProblem(
            f"{token!r} is not a point mutation.",
            "Write wild-type residue, position, new residue, e.g. K2A or p.Lys2Ala; "
            "insertions and deletions are not supported.",
        )
    original, position, mutant = _residue(match[1], token), int(match[2]), _residue(match[3], token)
    if not 1 <= position <= len(wildtype):
        raise FieldProblem(
            f"{token}: position {position} is outside the wild type (residues 1–{len(wildtype)}).",
            "Number residues from 1 at the first residue of the wild-type sequence.",
        )
    actual = wildtype[position - 1]
    if actual != original:
        raise FieldProblem(
            f"{token}: position {position} is {actual} in the wild type, not {original}.",
            f"Write {actual}{position}{mutant} if that residue is meant, or check the numbering.",
        )
    if mutant == original:
        raise FieldProblem(f"{token} does not change the residue.", "Remove it or choose another residue.")
    return Mutation(position, original, mutant)


def _residue(code: str, token: str) -> str:
    letter = THREE_TO_ONE.get(code.upper()) if len(code) == 3 else code.upper()
    if letter is None or letter not in AMINO_ACIDS:
        raise FieldProblem(
            f"{token}: {code!r} is not a standard amino acid.",
            "Use one of the 20 standard amino acids (one-letter or three-letter code).",
        )
    return letter


def apply_mutations(wildtype: str, mutations: list[Mutation]) -> str:
    """The variant sequence: the wild type with every substitution applied."""
    residues = list(wildtype)
    for mutation in mutations:
        residues[mutation.position - 1] = mutation.mutant
    return "".join(residues)


def describe_differences(wildtype: str, variant: str) -> list[Mutation]:
    """Substitutions that turn the wild type into an equal-length variant sequence."""
    return [Mutation(i, w, v) for i, (w, v) in enumerate(zip(wildtype, variant, strict=True), 1) if w != v]
