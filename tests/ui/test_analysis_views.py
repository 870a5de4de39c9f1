"""The contacts view warns of clashes and words possible H-bonds; the variants view flags a legacy noise band."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from omtx_core.analysis.models import Contact, ContactPair
from omtx_core.ui.task_views import CONTACT_KINDS_NOTE, LEGACY_CONTACTS_NOTE, clash_warning, contact_rows
from tests.ui.rendered import as_text

TIMEOUT = 30


def _contact(label: str, kinds: list[str], pairs: list[tuple[str, str, str, float]]) -> Contact:
    chain, number, name = label.split(":")
    return Contact(
        residue=label,
        chain=chain,
        number=int(number),
        name=name,
        distance_A=min((pair[3] for pair in pairs), default=3.5),
        kinds=kinds,
        pairs=[ContactPair(kind=k, residue_atom=r, ligand_atom=a, distance_A=d) for k, r, a, d in pairs],
    )


CHECKED = [
    _contact("A:11:LEU", ["hydrophobic", "clash"], [("clash", "CD1", "C3", 1.6)]),
    _contact(
        "A:113:ASP",
        ["hydrogen_bond", "salt_bridge"],
        [("hydrogen_bond", "OD2", "N37", 2.7), ("salt_bridge", "OD2", "N37", 2.7)],
    ),
    _contact("A:290:HIS", ["possible_hydrogen_bond"], [("possible_hydrogen_bond", "NE2", "O24", 3.1)]),
]


def test_the_contacts_table_words_each_kind_and_names_the_atom_pairs():
    rows = {row["Residue"]: row for row in contact_rows(CHECKED)}

    assert rows["A:11:LEU"]["Interactions"] == "hydrophobic, clash"
    assert rows["A:290:HIS"]["Interactions"] == "possible H-bond"
    assert rows["A:113:ASP"]["Atom pairs (residue–ligand)"] == "OD2–N37 2.70 Å H-bond; OD2–N37 2.70 Å salt bridge"


def test_a_clash_is_a_warning_naming_the_pair():
    warning = as_text(clash_warning(CHECKED))

    assert "clashes with 1 residue(s): A:11:LEU (CD1–C3 1.60 Å)" in warning
    assert "not physical" in warning
    assert clash_warning(CHECKED[1:]) is None


def _contacts_page(fixtures: str, legacy: bool) -> None:
    from pathlib import Path

    from omtx_core.analysis.models import Contact
    from omtx_core.boltz.outputs import parse_boltz_output
    from omtx_core.ui.task_views import contacts

    prediction = parse_boltz_output(Path(fixtures) / "protein_ligand_affinity_b2ar_carazolol")[0]
    if legacy:  # as stored before roles and clashes were checked: kinds only
        rows = [Contact(residue="A:113:ASP", chain="A", number=113, name="ASP", distance_A=2.55,
                        kinds=["hydrogen_bond", "salt_bridge"])]  # fmt: skip
    else:
        rows = [
            Contact(residue="A:11:LEU", chain="A", number=11, name="LEU", distance_A=1.6, kinds=["clash"],
                    pairs=[{"kind": "clash", "residue_atom": "CD1", "ligand_atom": "C3", "distance_A": 1.6}]),
        ]  # fmt: skip
    contacts(rows, None, prediction)


def test_the_page_shows_the_clash_warning_and_what_the_kinds_mean(fixtures_dir):
    at = AppTest.from_function(
        _contacts_page, kwargs={"fixtures": str(fixtures_dir), "legacy": False}, default_timeout=TIMEOUT
    ).run()
    assert not at.exception
    assert any("clashes with 1 residue(s)" in as_text(w.value) for w in at.warning)
    assert [as_text(c.value) for c in at.caption if "Possible H-bond" in c.value] == [CONTACT_KINDS_NOTE]


def test_contacts_stored_by_an_earlier_version_say_how_they_were_judged(fixtures_dir):
    at = AppTest.from_function(
        _contacts_page, kwargs={"fixtures": str(fixtures_dir), "legacy": True}, default_timeout=TIMEOUT
    ).run()
    assert not at.exception and not at.warning
    assert any(as_text(c.value) == LEGACY_CONTACTS_NOTE for c in at.caption)


def _variants_page(excluded: bool) -> None:
    from omtx_core.analysis.models import SampleNoise, VariantRow
    from omtx_core.ui.series_views import variants

    noise = SampleNoise(samples={"wildtype": 3, "variant": 3}, sample_pairs=6, rmsd_mean_A=0.3, rmsd_max_A=0.5,
                        per_residue_spread_A=[0.2, 0.3], compared_model_excluded=excluded)  # fmt: skip
    row = VariantRow(name="D2A", run="v1", mutations="D2A", chain="A", residue_numbers=[1, 2], tm_score=0.99,
                     rmsd_A=0.4, per_residue_deviation_A=[0.1, 0.4], site_deviation=[], note="Within noise.",
                     per_residue_plddt_change=[0.0, -1.0], noise=noise, below_noise=True)  # fmt: skip
    variants([row], {})


def test_a_noise_band_that_included_the_compared_model_is_flagged():
    legacy = AppTest.from_function(_variants_page, kwargs={"excluded": False}, default_timeout=TIMEOUT).run()
    current = AppTest.from_function(_variants_page, kwargs={"excluded": True}, default_timeout=TIMEOUT).run()

    assert not legacy.exception and not current.exception
    assert any("included the variant's best model" in w.value for w in legacy.warning)
    assert not current.warning
