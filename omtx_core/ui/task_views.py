"""Task-specific result views (contacts, interfaces, pockets, variants, compounds), from the stored analysis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from omtx_core.boltz.results import BoltzPrediction
from omtx_core.domain.job import Job
from omtx_core.ui import result_tabs, series_views

KIND_WORDS = {
    "hydrogen_bond": "H-bond",
    "salt_bridge": "salt bridge",
    "hydrophobic": "hydrophobic",
    "pi_stacking": "π-stacking",
}


def views_for(job: Job, document: dict[str, Any], predictions: dict[str, BoltzPrediction]) -> dict[str, Callable]:
    """Tab name → render function for the task's own views; a failed analysis says so in one tab."""
    analysis = document.get("analysis") or {}
    if "error" in analysis:
        return {"Analysis": lambda: st.error(analysis["error"])}
    first = next(iter(predictions.values()), None)
    views: dict[str, Callable] = {}
    if analysis.get("contacts") is not None and first is not None:
        views["Contacts"] = lambda: contacts(analysis, first)
    if analysis.get("interfaces") is not None:
        views["Interfaces"] = lambda: interfaces(analysis["interfaces"])
    if analysis.get("pockets") is not None and first is not None:
        views["Pockets"] = lambda: pockets(analysis, first)
    if analysis.get("variants") is not None:
        views["Variants"] = lambda: series_views.variants(analysis["variants"], predictions)
    if analysis.get("rows") is not None:
        views["Compounds"] = lambda: series_views.compounds(job, analysis, predictions)
    return views


def contacts(analysis: dict[str, Any], prediction: BoltzPrediction) -> None:
    rows = analysis["contacts"]
    st.markdown(f"**{len(rows)} residue(s)** have a heavy atom within 4 Å of the ligand (best model).")
    st.dataframe(
        [
            {
                "Residue": c["residue"],
                "Closest distance (Å)": c["distance_A"],
                "Interactions": ", ".join(KIND_WORDS.get(k, k) for k in c["kinds"]) or "contact",
            }
            for c in rows
        ],
        hide_index=True,
    )
    check = analysis.get("pocket_check")
    if check:
        missed = [c for c in check if not c["satisfied"]]
        if missed:
            listed = ", ".join(f"{c['residue']} ({c['min_distance_A']} Å)" for c in missed)
            st.warning(
                f"The ligand is **not** within the requested {check[0]['max_distance_A']} Å of: {listed}. "
                "Boltz does not always honour pocket constraints; try `pocket_force`, or more samples."
            )
        else:
            st.success("The ligand sits within the requested distance of every pocket residue.")
        st.dataframe(check, hide_index=True)
    highlight = {"contacts": [(c["chain"], c["number"]) for c in rows]}
    result_tabs.structure(prediction, "contacts.3d", highlight=highlight)


def interfaces(items: list[dict[str, Any]]) -> None:
    if not items:
        st.info("No two chains come within 5 Å of each other in the best model.")
        return
    table = []
    for item in items:
        a, b = item["chains"]
        table.append(
            {
                "Chains": f"{a}–{b}",
                "Residues": f"{item['residue_counts'][a]} + {item['residue_counts'][b]}",
                "Atom contacts (≤5 Å)": item["contacts"],
                "ipTM →": _pair(item["iptm"], a, b),
                "ipTM ←": _pair(item["iptm"], b, a),
                "Mean PAE → (Å)": _pair(item["mean_pae_A"], a, b),
                "Mean PAE ← (Å)": _pair(item["mean_pae_A"], b, a),
            }
        )
    st.dataframe(table, hide_index=True)
    st.caption("ipTM and PAE are directional: A→B scores B's placement as seen from A's frame.")
    for item in items:
        with st.expander(f"Interface residues {item['chains'][0]}–{item['chains'][1]}"):
            for chain, residues in item["residues"].items():
                st.markdown(f"**{chain}:** " + ", ".join(residues))


def _pair(values: dict | None, a: str, b: str):
    return None if not values else values.get(f"{a}→{b}")


def pockets(analysis: dict[str, Any], prediction: BoltzPrediction) -> None:
    found = analysis["pockets"]
    if not found:
        st.info("No pocket larger than the detection threshold was found on the predicted structure.")
        return
    st.caption(analysis.get("score", ""))
    if analysis.get("ligand_pocket"):
        st.success(f"The co-folded ligand sits in pocket **{analysis['ligand_pocket']}**.")
    table = [
        {
            "Pocket": p["id"],
            "Score": p["score"],
            "Volume (Å³)": p["volume_A3"],
            "Area (Å²)": p["area_A2"],
            "Max depth (Å)": p["max_depth_A"],
            "Mean pLDDT": p["mean_plddt"],
            "Confidence": "low" if p["low_confidence"] else "ok",
            "Lining residues": len(p["residues"]),
        }
        for p in found
    ]
    st.dataframe(table, hide_index=True)
    chosen = st.selectbox("Highlight pocket", [p["id"] for p in found], key="pockets.choice")
    pocket = next(p for p in found if p["id"] == chosen)
    st.caption("Lining residues: " + ", ".join(pocket["residues"]))
    lining = [(r.split(":")[0], int(r.split(":")[1])) for r in pocket["residues"]]
    result_tabs.structure(prediction, "pockets.3d", highlight={chosen: lining})
