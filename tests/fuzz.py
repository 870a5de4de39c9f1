"""Hypothesis strategies for hostile task inputs: any JSON-like value, and valid examples bent one to three ways.

Bounded on purpose (lists of a few dozen, strings up to 100,000 characters, values nested up to 500 deep, JSON
text up to 200,000 deep) so that 10,000 examples run in minutes.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from hypothesis import strategies as st

from tests.examples import ASPIRIN, UBIQUITIN, VALID_INPUTS

# What breaks things: NUL (PostgreSQL), terminal escapes, C1 controls, bidi overrides, zero-width and line
# separators, a byte-order mark, lone surrogates, and the whitespace that cleaning must still accept.
NASTY = ["\x00", "\x1b[31m", "\x07", "\x85", "\x9b", "\u202e", "\u2066", "\u200b", "\u2028", "\ufeff", "\ud800",
         "\t", "\n", "\r\n", " ", "\u00a0", "é", "😀", "%", "_", "\\", "'", '"', "../", "${x}"]  # fmt: skip
CHARACTERS = st.one_of(
    st.characters(),
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"]),
    st.sampled_from([c for c in NASTY if len(c) == 1]),
)
TEXT = st.one_of(
    st.text(CHARACTERS, max_size=40),
    st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=80),  # plain names
    st.lists(st.sampled_from(NASTY), max_size=6).map("".join),
    st.builds(lambda piece, n: piece * n, st.text(CHARACTERS, min_size=1, max_size=3), st.integers(1, 100_000)),
    st.sampled_from(["", " ", "\t\n", "ATP", "atp ", "K6A", "K6A/K48R", "p.Lys6Ala", ASPIRIN, UBIQUITIN, "A", "AA"]),
)
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**32, 2**63, 10**400, -(10**400)]),
    st.integers(4_300, 4_500).map(lambda digits: 10**digits),  # beyond the 4,300 digits Python turns into text
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
SCALARS = st.one_of(st.none(), NUMBERS, TEXT)


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


JSON_LIKE = st.one_of(
    st.recursive(
        SCALARS,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
        max_leaves=12,
    ),  # fmt: skip
    st.builds(_nest, SCALARS, st.integers(0, 500)),  # deeper only as JSON text: Python's own recursion limit
)


def _locations(value: Any, depth: int = 4) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in the top `depth` levels of a JSON-like value."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found = []
    for key, child in items:
        found.append((value, key))
        if depth > 1:
            found += _locations(child, depth - 1)
    return found


def _bent_string(draw, text: str) -> str:
    how = draw(st.sampled_from(["insert", "blank", "cut", "repeat", "case"]))
    position = draw(st.integers(0, len(text)))
    if how == "insert":
        return text[:position] + draw(TEXT) + text[position:]
    if how == "blank":
        return draw(st.sampled_from(["", " ", "   ", "\t", "\n"]))
    if how == "cut":
        return text[:position]
    if how == "repeat":
        return text * draw(st.integers(2, 80))
    return text.lower() if draw(st.booleans()) else text.swapcase()


def _replacement(draw, old: Any) -> Any:
    """A new value near the old one (a bent string, a number out of range, a longer list) or anything at all."""
    if draw(st.integers(0, 3)) == 0:
        return draw(JSON_LIKE)
    if isinstance(old, str):
        return _bent_string(draw, old)
    if isinstance(old, bool) or old is None:
        return draw(SCALARS)
    if isinstance(old, int | float):
        return draw(NUMBERS)
    if isinstance(old, list) and old:
        return [draw(st.sampled_from(old)) for _ in range(draw(st.integers(0, 30)))]  # repeats: duplicate names
    return draw(JSON_LIKE)


@st.composite
def near_valid(draw, task: str) -> Any:
    """A task's valid example changed one to three times: a value bent or replaced, a key removed or added."""
    data = copy.deepcopy(VALID_INPUTS[task])
    for _ in range(draw(st.integers(1, 3))):
        locations = _locations(data)
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
        if not locations:
            break
        container, key = draw(st.sampled_from(locations))
        if action == "replace":
            container[key] = _replacement(draw, container[key])
        elif action == "remove":
            del container[key]
        elif isinstance(container, dict):
            container[draw(st.sampled_from(["job_name", "ligand_name", "name", "id", "copies", "options"]) | TEXT)] = (
                draw(SCALARS)
            )
    return data


@st.composite
def renamed(draw, task: str) -> Any:
    """A task's valid example with hostile text in its names (job, ligand, compound, variant, chain id)."""
    data = copy.deepcopy(VALID_INPUTS[task])
    data["job_name"] = draw(TEXT | st.none())
    if task == "protein_ligand_binding":
        data["ligand_name"] = draw(TEXT | st.none())
    for item in data.get("compounds", []) + data.get("variants", []) + data.get("chains", []):
        item["id" if "type" in item else "name"] = draw(TEXT | st.none())
    return data


def task_inputs(task: str) -> st.SearchStrategy[Any]:
    """Mostly near-valid inputs for the task, some with hostile names, some anything at all."""
    return st.one_of(near_valid(task), near_valid(task), renamed(task), JSON_LIKE)


def input_texts(task: str) -> st.SearchStrategy[str]:
    """What a CLI user may hand in: the JSON of a hostile input (NaN, huge numbers), or JSON made wrong by hand."""
    dumped = task_inputs(task).map(_dumps)
    broken = st.builds(lambda text, n: text[:n], dumped, st.integers(0, 400))
    deep = st.integers(1, 200_000).map(lambda n: "[" * n + "]" * n)
    return st.one_of(dumped, dumped, dumped, broken, deep, st.text(CHARACTERS, max_size=60))


def _dumps(value: Any) -> str:
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # JSON may hold an integer of any length; Python writes one only when asked
    try:
        return json.dumps(value, ensure_ascii=False)
    finally:
        sys.set_int_max_str_digits(limit)
