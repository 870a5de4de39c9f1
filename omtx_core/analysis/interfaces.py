"""Chain-pair interfaces of a predicted complex: contact residues, ipTM both ways, inter-chain PAE."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import gemmi
import numpy as np

from omtx_core.analysis.models import Interface
from omtx_core.analysis.structure import load_structure
from omtx_core.boltz.results import BoltzPrediction, ChainInfo, ModelResult
from omtx_core.errors import BoltzOutputError

DEFAULT_CUTOFF_A = 5.0

_TOKEN_HINT = (
    "Boltz gives one token per residue of a polymer and one per heavy atom of a ligand; modified "
    "residues are split into atoms, so their chains cannot be mapped onto the PAE matrix."
)


class Placement(NamedTuple):
    """How well one chain of an interface is placed relative to the other: both numbers read the same way.

    `iptm` (0–1, higher is better) and `mean_pae_A` (Å, lower is better; None without a PAE file) score the
    `placed` chain's tokens when the complex is aligned on the `reference` chain's tokens.
    """

    placed: str
    reference: str
    iptm: float | None
    mean_pae_A: float | None


def placements(interface: Interface) -> list[Placement]:
    """Both directions of an interface: the second chain relative to the first, then the first relative to the second.

    Stored interfaces (every version) keep each number in the row → column order of the matrix it comes from, and
    the two matrices put the aligned chain on opposite sides:
    - `iptm["X→Y"]` is Boltz's `pair_chains_iptm[X][Y]`, which scores chain X's tokens in chain Y's frames
      (`compute_ptms`: mean over X's tokens, best over Y's frames): X placed relative to Y. So a ligand L placed
      relative to protein A is `iptm["L→A"]` (carazolol: 0.989, which is also the run's `ligand_iptm`, the better
      of the two directions of its only protein–ligand pair).
    - `mean_pae_A["X→Y"]` is the mean of the PAE block of rows X and columns Y, where PAE[i, j] is the error of
      token j when aligned on token i: Y placed relative to X.
    """
    first, second = interface.chains
    return [
        _placement(interface, placed=second, reference=first),
        _placement(interface, placed=first, reference=second),
    ]


def _placement(interface: Interface, *, placed: str, reference: str) -> Placement:
    pae = interface.mean_pae_A or {}
    return Placement(placed, reference, interface.iptm.get(f"{placed}→{reference}"), pae.get(f"{reference}→{placed}"))


def token_ranges(chains: Sequence[ChainInfo], n_tokens: int | None = None) -> dict[str, tuple[int, int]]:
    """Half-open token index range [start, end) of each chain, in Boltz's chain order.

    Polymers take one token per residue and ligands one per heavy atom, which is what
    `ChainInfo.length` holds. Given `n_tokens`, the ranges must cover exactly that many tokens.
    """
    ranges: dict[str, tuple[int, int]] = {}
    start = 0
    for chain in chains:
        ranges[chain.id] = (start, start + chain.length)
        start += chain.length
    if n_tokens is not None and start != n_tokens:
        raise BoltzOutputError(
            f"The chains add up to {start} tokens but the confidence arrays hold {n_tokens}.", _TOKEN_HINT
        )
    return ranges


def residue_label(chain: str, residue: gemmi.Residue) -> str:
    """'B:5:TYR': chain letter, residue number (with insertion code, if any) and residue name."""
    return f"{chain}:{residue.seqid.num}{residue.seqid.icode.strip()}:{residue.name}"


def chain_pair_interfaces(
    prediction: BoltzPrediction, model_rank: int = 0, *, cutoff: float = DEFAULT_CUTOFF_A
) -> list[Interface]:
    """Every chain pair with heavy atoms within `cutoff` Å of each other, most contacts first.

    Each entry: chains, residues (labels per chain), residue_counts, contacts (inter-chain
    heavy-atom pairs), iptm (both directions, from pair_chains_iptm) and mean_pae_A (both
    directions; None without a PAE file). The two are keyed in the order of their source matrices,
    which align on opposite sides: read them through `placements`.
    """
    model = prediction.models[model_rank]
    order = [chain.id for chain in prediction.chains]
    # Heavy atoms only: contacts count heavy-atom pairs.
    contacts = _contacts_by_pair(load_structure(model.structure_path)[0], cutoff, order)
    pae = model.pae
    ranges = token_ranges(prediction.chains, model.n_tokens) if pae is not None else {}
    entries = [_entry(pair, found, model, pae, ranges, order) for pair, found in contacts.items()]
    return sorted(entries, key=lambda entry: (-entry.contacts, entry.chains))


def _contacts_by_pair(model: gemmi.Model, cutoff: float, order: list[str]) -> dict[tuple[str, str], dict]:
    """Heavy-atom pairs within `cutoff` between different chains, grouped by chain pair."""
    # An empty UnitCell: Boltz writes a placeholder 1 Å cell that must not be treated as a crystal.
    search = gemmi.NeighborSearch(model, gemmi.UnitCell(), max(cutoff, 1.0)).populate()
    finder = gemmi.ContactSearch(cutoff)
    finder.ignore = gemmi.ContactSearch.Ignore.SameChain
    rank = {chain: index for index, chain in enumerate(order)}
    pairs: dict[tuple[str, str], dict] = defaultdict(lambda: {"contacts": 0, "residues": defaultdict(dict)})
    for hit in finder.find_contacts(search):
        sides = sorted(
            (hit.partner1, hit.partner2), key=lambda cra: (rank.get(cra.chain.name, len(rank)), cra.chain.name)
        )
        found = pairs[(sides[0].chain.name, sides[1].chain.name)]
        found["contacts"] += 1
        for cra in sides:
            # Keyed by residue number so each residue is listed once, in chain order.
            found["residues"][cra.chain.name][cra.residue.seqid.num, cra.residue.seqid.icode] = residue_label(
                cra.chain.name, cra.residue
            )
    return pairs


def _entry(
    pair: tuple[str, str],
    found: dict,
    model: ModelResult,
    pae: np.ndarray | None,
    ranges: dict[str, tuple[int, int]],
    order: list[str],
) -> Interface:
    first, second = pair
    residues = {chain: [found["residues"][chain][key] for key in sorted(found["residues"][chain])] for chain in pair}
    return Interface(
        chains=[first, second],
        residues=residues,
        residue_counts={chain: len(residues[chain]) for chain in pair},
        contacts=found["contacts"],
        iptm={
            f"{first}→{second}": _iptm(model, first, second),
            f"{second}→{first}": _iptm(model, second, first),
        },
        mean_pae_A=None
        if pae is None
        else {
            f"{first}→{second}": _mean_pae(pae, ranges, first, second),
            f"{second}→{first}": _mean_pae(pae, ranges, second, first),
        },
    )


def _iptm(model: ModelResult, row: str, column: str) -> float | None:
    """Boltz's pair_chains_iptm[row][column]: chain `row` placed relative to chain `column`."""
    value = model.pair_chains_iptm.get(row, {}).get(column)
    return None if value is None else round(float(value), 3)


def _mean_pae(pae: np.ndarray, ranges: dict[str, tuple[int, int]], row: str, column: str) -> float | None:
    """Mean expected error (Å) of `column` tokens when the complex is aligned on `row` tokens."""
    if row not in ranges or column not in ranges:
        return None
    (r0, r1), (c0, c1) = ranges[row], ranges[column]
    return round(float(np.mean(pae[r0:r1, c0:c1])), 3)
