"""What the analyses return and the tasks store: contacts, pocket checks, pockets, interfaces, variant and compound
rows. Light (pydantic only) so that readers of stored results need neither gemmi, numpy nor RDKit.

Field names are those of the stored JSON; residues are labelled `A:113:ASP` (chain letter, number, name).
Unknown fields (from a newer version) are ignored when reading.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- protein–ligand contacts ------------------------------------------------------------------------------


class ContactPair(_Record):
    """One atom pair behind a contact kind: the residue's atom and the ligand's (names as in the structure file)."""

    kind: str  # hydrogen_bond, possible_hydrogen_bond, salt_bridge or clash
    residue_atom: str
    ligand_atom: str
    distance_A: float


class Contact(_Record):
    """A residue with a heavy atom within the cutoff of the ligand; kinds in the order of contacts.KINDS.

    `pairs` names the atom pairs behind its H-bonds, salt bridges and clashes (empty in documents written before
    they were stored, whose kinds predate donor/acceptor roles and clashes: see contacts.py).
    """

    residue: str
    chain: str
    number: int
    name: str
    distance_A: float
    kinds: list[str]
    pairs: list[ContactPair] = []


class PocketResidueCheck(_Record):
    """Whether one residue of a requested pocket lies within `max_distance_A` of the predicted ligand."""

    residue: str
    chain: str
    number: int
    name: str | None  # None when the residue is absent from the structure
    found: bool
    min_distance_A: float | None
    max_distance_A: float
    satisfied: bool


# --- pockets ----------------------------------------------------------------------------------------------


class Pocket(_Record):
    """One detected pocket (see analysis.pockets for the score); depths are None for an enclosed cavity."""

    id: str
    rank: int
    score: float
    volume_A3: float
    area_A2: float
    max_depth_A: float | None
    mean_depth_A: float | None
    enclosed: bool
    residues: list[str]
    mean_plddt: float  # 0–100, from the CIF B-factors
    low_confidence: bool
    center: list[float]

    @property
    def lining(self) -> list[tuple[str, int]]:
        """(chain, number) of each lining residue, for highlighting."""
        return [(label.split(":")[0], int(label.split(":")[1])) for label in self.residues]


# --- chain-pair interfaces --------------------------------------------------------------------------------


class Interface(_Record):
    """Two chains in contact: residues per chain, heavy-atom contacts, and ipTM and mean PAE keyed "X→Y".

    Each number is stored as read from its matrix: `iptm["X→Y"]` is Boltz's `pair_chains_iptm[X][Y]` (X placed
    relative to Y), `mean_pae_A["X→Y"]` the PAE block with rows X and columns Y (Y placed relative to X). Read
    both through `omtx_core.analysis.interfaces.placements`, which pairs them the same way round.
    """

    chains: list[str]
    residues: dict[str, list[str]]
    residue_counts: dict[str, int]
    contacts: int
    iptm: dict[str, float | None]
    mean_pae_A: dict[str, float | None] | None  # None without a PAE file

    def directed(self, values: dict[str, float | None] | None, first: str, second: str) -> float | None:
        return None if not values else values.get(f"{first}→{second}")


# --- variants ---------------------------------------------------------------------------------------------


class SiteDeviation(_Record):
    """Cα deviation (Å) of the wild-type residues within the site radius of one mutation."""

    mutation: str
    position: int
    residues: list[int]
    mean_A: float | None
    max_A: float | None


class SampleNoise(_Record):
    """The spread between diffusion samples of the wild type and of the variant's samples other than its best.

    `samples` counts each prediction's samples; `sample_pairs` the pairs the spread was taken over. The variant's
    best model is the model compared, so it is left out of its own noise band (`compared_model_excluded`; False in
    documents written before, whose band included it).
    """

    samples: dict[str, int]
    sample_pairs: int
    rmsd_mean_A: float
    rmsd_max_A: float
    per_residue_spread_A: list[float | None]
    compared_model_excluded: bool = False


class StructureComparison(_Record):
    """One chain of a structure superposed onto a reference: scores and deviations in the reference's numbering."""

    chain: str
    residue_numbers: list[int]
    tm_score: float
    rmsd_A: float
    per_residue_deviation_A: list[float | None]
    site_deviation: list[SiteDeviation]


class VariantComparison(StructureComparison):
    """A variant's best model against the wild type's, with pLDDT (0–100) and affinity changes and the noise."""

    per_residue_plddt_change: list[float | None]
    delta_binder_probability: float | None = None
    delta_pic50: float | None = None
    noise: SampleNoise | None = None
    below_noise: bool | None = None
    note: str = ""


class VariantRow(VariantComparison):
    """A compared variant: its name, its run and its mutations (`K2A/L5P`), then the comparison."""

    name: str
    run: str
    mutations: str


class FailedVariant(_Record):
    """A variant without a comparison: its run (or the wild type's) produced no prediction."""

    name: str
    run: str
    mutations: str
    failure: str


def _variant_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "failed" if "failure" in value else "compared"
    return "failed" if isinstance(value, FailedVariant) else "compared"


VariantResult = Annotated[
    Annotated[VariantRow, Tag("compared")] | Annotated[FailedVariant, Tag("failed")], Discriminator(_variant_kind)
]


# --- compound screens -------------------------------------------------------------------------------------

CompoundStatus = Literal["done", "failed", "pending"]


class CompoundRow(_Record):
    """One compound of a screen: RDKit descriptors always, prediction values once it is done (else None).

    Descriptors describe the neutral parent (`parent_smiles` when it differs from the charged `smiles` as given;
    rows stored before it was added describe the form as given). The `*_as_given` fields hold the charged form's
    values, only where the parent differs. `hbd`/`hba` are RDKit's donor/acceptor atom patterns; the rule of five
    (`lipinski_violations`) uses Lipinski's own counts, `lipinski_hbd` (NH + OH) and `lipinski_hba` (N + O).
    """

    name: str
    smiles: str
    status: CompoundStatus
    failure: str | None = None
    mw: float | None = None
    clogp: float | None = None
    hbd: int | None = None  # rdkit.Chem.Lipinski.NumHDonors: donor atoms
    hba: int | None = None  # rdkit.Chem.Lipinski.NumHAcceptors: acceptor atoms
    tpsa: float | None = None
    rotatable_bonds: int | None = None
    qed: float | None = None
    lipinski_violations: int | None = None
    heavy_atoms: int | None = None
    lipinski_hbd: int | None = None  # hydrogens on N and O (NH + OH), Lipinski's donor count
    lipinski_hba: int | None = None  # N and O atoms, Lipinski's acceptor count
    parent_smiles: str | None = None
    charge_as_given: int | None = None
    mw_as_given: float | None = None
    clogp_as_given: float | None = None
    tpsa_as_given: float | None = None
    binder_probability: float | None = None
    pic50: float | None = None
    ic50_nm: float | None = None
    delta_g_kcal_mol: float | None = None
    affinity_pred_value: float | None = None  # log10(IC50 in µM): lower is stronger; never rank by it descending
    pic50_spread: float | None = None
    ligand_iptm: float | None = None
    iptm: float | None = None
    confidence_score: float | None = None
    pocket_plddt: float | None = None  # 0–100
    ligand_efficiency: float | None = None
    pose_warning: str | None = None  # the pose inverts stereo the SMILES specifies, or could not be matched to it
    run: str | None = None
    rank: int | None = None  # 1-based, once ranked


class ScreenSummary(_Record):
    """Counts, hits at `threshold` binder probability, the best hit by pIC50, and the most probable compound.

    `best_compound`/`best_pic50` are among hits only (None without a hit: affinity is compared among binders);
    summaries stored before `most_probable_compound` was added took them among all scored compounds.
    """

    n_compounds: int
    n_done: int
    n_failed: int
    n_pending: int
    n_hits: int
    hit_rate: float | None
    best_pic50: float | None
    median_pic50: float | None
    best_compound: str | None
    threshold: float
    most_probable_compound: str | None = None
    most_probable_probability: float | None = None
