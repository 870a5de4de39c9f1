"""Realistic task inputs shared by the tests (public sequences and well-known drugs)."""

UBIQUITIN = "MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG"
LYSOZYME = (
    "KVFGRCELAAAMKRHGLDNYRGYSLGNWVCAAKFESNFNTQATNRNTDGSTDYGILQINSRWWCNDGRTPGSRNLCNIPCSALLSSDITASVNCAKKIVS"
    "DGNGMNAWVAWRNRCKGTDVQAWIRGCRL"
)
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
CARAZOLOL = "CC(C)[NH2+]C[C@@H](O)COc1cccc2[nH]c3ccccc3c12"
DNA_STRAND = "ATGCGTACGTTAGC"

VALID_INPUTS = {
    "protein_ligand_binding": {"protein_sequence": LYSOZYME, "ligand_smiles": ASPIRIN, "pocket_residues": [35, 52]},
    "protein_structure": {"protein_sequence": UBIQUITIN},
    "protein_complex": {
        "chains": [
            {"type": "protein", "sequence": UBIQUITIN, "copies": 2},
            {"type": "protein", "sequence": LYSOZYME},
            {"type": "dna", "sequence": DNA_STRAND},
            {"type": "ligand", "ccd": "ATP"},
        ]
    },
    "binding_site_prediction": {"protein_sequence": LYSOZYME, "ligand_ccd": "NAG"},
    "variant_comparison": {
        "wildtype_sequence": UBIQUITIN,
        "variants": [
            {"mutations": "K6A"},
            {"mutations": "I44A/K48R"},
            {"name": "L8S", "sequence": UBIQUITIN[:7] + "S" + UBIQUITIN[8:]},
        ],
        "ligand_smiles": IBUPROFEN,
    },
    "drug_discovery": {
        "protein_sequence": LYSOZYME,
        "compounds": [
            {"name": "aspirin", "smiles": ASPIRIN},
            {"smiles": IBUPROFEN},
            {"name": "carazolol", "smiles": CARAZOLOL},
        ],
    },
}
