"""Boltz-2's input schema rules (BOLTZ.md §1.1), restated independently of our writer to check its YAML."""

from __future__ import annotations

import yaml
from rdkit import Chem

ENTITY_TYPES = {"protein", "dna", "rna", "ligand"}


def check_boltz_yaml(text: str, cli_args: list[str]) -> dict:
    """Parse YAML the way Boltz does and assert every rule it enforces; return the document."""
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    assert document.get("version", 1) == 1, "Invalid version"
    assert set(document) <= {"version", "sequences", "constraints", "templates", "properties"}
    chains = _check_sequences(document["sequences"], cli_args)
    for constraint in document.get("constraints", []):
        _check_pocket(constraint, chains)
    _check_affinity(document.get("properties", []), chains)
    return document


def _ids(body: dict) -> list[str]:
    ids = body["id"] if isinstance(body["id"], list) else [body["id"]]
    assert ids and all(isinstance(i, str) and i for i in ids), f"bad id {body['id']!r}"
    return ids


def _check_sequences(sequences: list, cli_args: list[str]) -> dict[str, tuple[str, dict]]:
    chains: dict[str, tuple[str, dict]] = {}
    msas: list[str | None] = []
    protein_seqs: list[str] = []
    for entry in sequences:
        assert isinstance(entry, dict) and len(entry) == 1
        ((kind, body),) = entry.items()
        assert kind in ENTITY_TYPES, kind
        for chain_id in _ids(body):
            assert chain_id not in chains, f"duplicate chain id {chain_id}"
            chains[chain_id] = (kind, body)
        if kind == "ligand":
            assert ("smiles" in body) != ("ccd" in body), "ligand needs smiles or ccd, never both"
            assert "sequence" not in body and "msa" not in body
            if "smiles" in body:
                assert Chem.MolFromSmiles(body["smiles"]) is not None
        else:
            assert isinstance(body["sequence"], str) and body["sequence"]
            assert "smiles" not in body and "ccd" not in body
            assert kind == "protein" or "msa" not in body, "MSAs are protein-only"
        if kind == "protein":
            msa = body.get("msa")
            assert msa in (None, "", "empty") or str(msa).endswith((".a3m", ".csv"))
            msas.append(msa)
            protein_seqs.append(body["sequence"])
    assert len(set(protein_seqs)) == len(protein_seqs), "identical proteins must share one entry"
    custom = [m for m in msas if m not in (None, "", "empty")]
    auto = [m for m in msas if m in (None, "")]
    assert not (custom and auto), "custom and auto-generated MSAs cannot be mixed"
    if auto:
        assert "--use_msa_server" in cli_args, "Missing MSA's in input and --use_msa_server flag not set."
    return chains


def _check_pocket(constraint: dict, chains: dict) -> None:
    ((kind, body),) = constraint.items()
    assert kind == "pocket"
    assert body["binder"] in chains
    assert 4 <= body.get("max_distance", 6) <= 20
    assert isinstance(body.get("force", False), bool)
    for chain_id, residue in body["contacts"]:
        chain_kind, chain_body = chains[chain_id]
        assert chain_kind != "ligand"
        assert 1 <= residue <= len(chain_body["sequence"])


def _check_affinity(properties: list, chains: dict) -> None:
    binders = [p["affinity"]["binder"] for p in properties if "affinity" in p]
    assert len(binders) <= 1, "Only one affinity ligand is currently supported!"
    for binder in binders:
        assert isinstance(binder, str)
        kind, body = chains[binder]
        assert kind == "ligand", f"Chain {binder} is not a ligand!"
        assert not isinstance(body["id"], list) or len(body["id"]) == 1, "multiple copies"
        if "smiles" in body:
            atoms = Chem.RemoveHs(Chem.MolFromSmiles(body["smiles"])).GetNumAtoms()
            assert atoms <= 128
