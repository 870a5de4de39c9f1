"""Sequence cleaning per molecule type and mutation notation, including property-based tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omtx_core.errors import FieldProblem
from omtx_core.sequences import (
    ALPHABETS,
    Mutation,
    apply_mutations,
    clean_sequence,
    describe_differences,
    parse_fasta,
    parse_mutations,
)

WT = "MKTAYIAKQR"


def test_parse_fasta_records_and_headerless_text():
    assert parse_fasta(">a desc\nMK\nTA\n>b\nGG\n") == [("a desc", "MKTA"), ("b", "GG")]
    assert parse_fasta("mkta\n yia") == [("", "mktayia")]
    assert parse_fasta("") == []


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [("protein", ">x\nmk ta\r\nyi*", "MKTAYI"), ("dna", "acg tn", "ACGTN"), ("rna", "ACG\nUN", "ACGUN")],
)
def test_clean_sequence(kind, text, expected):
    assert clean_sequence(text, kind) == expected


@pytest.mark.parametrize(
    ("kind", "text", "message", "hint"),
    [
        ("protein", "MKTB", "Residue 4 is 'B'", "X"),
        ("protein", "1 MKT", "Residue 1 is '1'", "numbering"),
        ("dna", "ACGU", "Residue 4 is 'U'", "RNA"),
        ("rna", "ACGT", "Residue 4 is 'T'", "DNA"),
        ("protein", ">a\nMK\n>b\nMK", "2 FASTA records", "complex"),
        ("protein", "  \n", "empty", "Paste"),
        ("protein", "MKß", "Residue 3 is 'ß'", "20 standard"),
    ],
)
def test_clean_sequence_errors_name_position_and_fix(kind, text, message, hint):
    with pytest.raises(FieldProblem) as caught:
        clean_sequence(text, kind)
    assert message in caught.value.message and hint in caught.value.hint


@settings(max_examples=300, deadline=None)
@given(text=st.text(), kind=st.sampled_from(["protein", "dna", "rna"]))
def test_clean_sequence_only_raises_field_problems(text, kind):
    try:
        result = clean_sequence(text, kind)
    except FieldProblem as problem:
        assert problem.message
    else:
        assert result and set(result) <= set(ALPHABETS[kind])


_LETTERS = ALPHABETS["protein"] + ALPHABETS["protein"].lower()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_LETTERS), st.sampled_from(["", " ", "\n", "\r\n", "\t"])), min_size=1),
    st.booleans(),
)
def test_clean_sequence_keeps_every_residue_of_a_valid_paste(pairs, stop_codon):
    text = "".join(letter + space for letter, space in pairs) + ("*" if stop_codon else "")
    assert clean_sequence(text) == "".join(letter for letter, _ in pairs).upper()


def test_mutations_parse_in_several_notations():
    expected = [Mutation(2, "K", "A"), Mutation(5, "Y", "P")]
    for text in ("K2A/Y5P", "Y5P,K2A", "K2A; Y5P", "p.Lys2Ala + p.Tyr5Pro", "k2a y5p"):
        assert parse_mutations(text, WT) == expected
    assert apply_mutations(WT, expected) == "MATAPIAKQR"
    assert describe_differences(WT, "MATAPIAKQR") == expected
    assert str(expected[0]) == "K2A"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A2K", "position 2 is K in the wild type, not A"),
        ("K11A", "outside the wild type (residues 1–10)"),
        ("K2B", "not a standard amino acid"),
        ("K2del", "not a point mutation"),
        ("2A", "not a point mutation"),
        ("K2A/K2P", "mutated more than once"),
        ("K2K", "does not change"),
        ("", "No mutations"),
    ],
)
def test_mutation_errors(text, message):
    with pytest.raises(FieldProblem) as caught:
        parse_mutations(text, WT)
    assert message in caught.value.message


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_mutations_only_raises_field_problems(text):
    try:
        mutations = parse_mutations(text, WT)
    except FieldProblem:
        return
    assert all(WT[m.position - 1] == m.wildtype != m.mutant for m in mutations)
