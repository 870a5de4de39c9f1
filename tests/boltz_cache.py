"""Test-only builder of a Boltz 2.2.1 cache with a tiny random model: it tests the contract, never the science."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tarfile
import time
import warnings
from pathlib import Path

# The residues and ligands the real-Boltz tests use: proteins (UNK included: Boltz loads all 21 canonicals), DNA,
# RNA and a few CCD ligands. Boltz reads `<cache>/mols/<CODE>.pkl` for each; a code not here fails the input.
PROTEIN = ("ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU", "LYS", "MET", "PHE", "PRO",
           "SER", "THR", "TRP", "TYR", "VAL", "UNK")  # fmt: skip
NUCLEIC = ("DA", "DG", "DC", "DT", "A", "G", "C", "U")
LIGANDS = ("ATP", "ADP", "SAH", "HEM", "NAG", "GOL", "SO4", "ZN", "MG")
CODES = (*PROTEIN, *NUCLEIC, *LIGANDS)

# Widths shrink; the trunk keeps Boltz's block counts and heads (64 pairformer blocks, 16 heads; MSA args are
# replaced on load), because `boltz predict` overrides pairformer_args and msa_args and loads with strict=True.
TOKEN_S, TOKEN_Z, ATOM_S, ATOM_Z = 32, 16, 16, 8


def build_mols(folder: Path, codes: tuple[str, ...] = CODES) -> None:
    """RDKit molecules pickled as Boltz's own `mols/` (atom `name`, `leaving_atom`, an `Ideal` conformer)."""
    import biotite.structure.info as info
    from biotite.interface.rdkit import to_mol
    from rdkit import Chem

    Chem.SetDefaultPickleProperties(Chem.PropertyPickleOptions.AllProps)
    warnings.filterwarnings("ignore", "No hydrogen found")  # ions and the like, as in the CCD
    folder.mkdir(parents=True, exist_ok=True)
    for code in codes:
        atoms = info.residue(code)
        flags = info.get_from_ccd("chem_comp_atom", code, "pdbx_leaving_atom_flag")
        leaving = [str(f).upper() == "Y" for f in flags.as_array()] if flags is not None else [False] * len(atoms)
        mol = to_mol(atoms, explicit_hydrogen=True)
        for atom, name, flag in zip(mol.GetAtoms(), atoms.atom_name, leaving, strict=True):
            atom.SetProp("name", str(name))
            atom.SetProp("leaving_atom", "1" if flag else "0")
        for conformer in mol.GetConformers():
            conformer.SetProp("name", "Ideal")
        (folder / f"{code}.pkl").write_bytes(pickle.dumps(mol))


def _hparams(affinity: bool) -> dict:
    """Boltz2 constructor arguments shaped like Boltz's training configuration, with tiny widths."""
    from dataclasses import asdict

    from boltz.main import Boltz2DiffusionParams, MSAModuleArgs, PairformerArgsV2
    from omegaconf import OmegaConf

    one = {"num_blocks": 1, "num_heads": 16, "dropout": 0.0, "v2": True}
    affinity_args = {
        "pairformer_args": {"num_blocks": 1, "dropout": 0.0},
        "transformer_args": {"token_s": TOKEN_S, "num_blocks": 1, "num_heads": 4, "activation_checkpointing": False},
        "num_dist_bins": 64,
        "max_dist": 22,
    }
    return {
        "atom_s": ATOM_S,
        "atom_z": ATOM_Z,
        "token_s": TOKEN_S,
        "token_z": TOKEN_Z,
        "num_bins": 64,
        "atom_feature_dim": 388,
        # Boltz reads these two by attribute (`training_args.max_lr`), as the OmegaConf objects of its training.
        "training_args": OmegaConf.create(
            {
                "recycling_steps": 0,
                "sampling_steps": 2,
                "diffusion_multiplicity": 1,
                "diffusion_samples": 1,
                "max_lr": 0.0,
                "weight_decay": 0.0,
            }
        ),
        "validation_args": OmegaConf.create({"recycling_steps": 0, "sampling_steps": 2, "diffusion_samples": 1}),
        "embedder_args": {
            "atom_encoder_depth": 1,
            "atom_encoder_heads": 4,
            "add_method_conditioning": True,
            "add_modified_flag": True,
            "add_cyclic_flag": True,
            "add_mol_type_feat": True,
        },
        "msa_args": asdict(MSAModuleArgs()),
        "pairformer_args": asdict(PairformerArgsV2()),
        "score_model_args": {
            "sigma_data": 16,
            "dim_fourier": 16,
            "atom_encoder_depth": 1,
            "atom_encoder_heads": 4,
            "token_transformer_depth": 1,
            "token_transformer_heads": 4,
            "atom_decoder_depth": 1,
            "atom_decoder_heads": 4,
            "conditioning_transition_layers": 1,
            "activation_checkpointing": False,
            "transformer_post_ln": False,
        },
        "diffusion_process_args": asdict(Boltz2DiffusionParams()),
        "diffusion_loss_args": {
            "add_smooth_lddt_loss": True,
            "nucleotide_loss_weight": 5.0,
            "ligand_loss_weight": 10.0,
        },
        "confidence_model_args": {
            "pairformer_args": one,
            "num_dist_bins": 64,
            "max_dist": 22,
            "add_s_to_z_prod": True,
            "add_s_input_to_s": True,
            "add_z_input_to_z": True,
            "confidence_args": {"num_plddt_bins": 50, "num_pde_bins": 64, "num_pae_bins": 64},
        },
        "affinity_model_args1": affinity_args if affinity else None,
        "affinity_model_args2": affinity_args if affinity else None,
        "confidence_prediction": True,
        "affinity_prediction": affinity,
        "affinity_ensemble": affinity,
        "alpha_pae": 1.0,
        "validate_structure": False,
        "bond_type_feature": True,
        "fix_sym_check": True,
        "cyclic_pos_enc": True,
        "use_kernels": False,
        "ema": False,
    }


def build_checkpoints(folder: Path) -> None:
    """`boltz2_conf.ckpt` and `boltz2_aff.ckpt`: Lightning checkpoints of a tiny randomly initialised Boltz2."""
    import pytorch_lightning
    import torch
    from boltz.model.models.boltz2 import Boltz2

    torch.manual_seed(0)
    for name, affinity in (("boltz2_conf.ckpt", False), ("boltz2_aff.ckpt", True)):
        model = Boltz2(**_hparams(affinity))
        checkpoint = {
            "state_dict": model.state_dict(),
            "hyper_parameters": dict(model.hparams),
            "pytorch-lightning_version": pytorch_lightning.__version__,
            "epoch": 0,
            "global_step": 0,
        }
        torch.save(checkpoint, folder / name)


def build_cache(folder: Path, boltz_python: Path) -> Path:
    """The whole cache in `folder`: molecules here (RDKit, biotite), checkpoints in Boltz's own interpreter."""
    build_mols(folder / "mols")
    with tarfile.open(folder / "mols.tar", "w"):  # Boltz only checks that it exists, then skips the download
        pass
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    subprocess.run([str(boltz_python), __file__, "--checkpoints", str(folder)], check=True, env=env, timeout=300)
    return folder


if __name__ == "__main__":
    if sys.argv[1:2] == ["--checkpoints"]:
        start = time.monotonic()
        build_checkpoints(Path(sys.argv[2]))
        print(f"checkpoints built in {time.monotonic() - start:.1f} s")
    else:
        build_cache(Path(sys.argv[1]), Path(sys.argv[2]))
