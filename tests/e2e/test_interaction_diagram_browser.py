"""In a real Chromium, the Contacts tab of the imported carazolol job draws the 2D interaction diagram as SVG."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from omtx_core.analysis.contacts import ligand_contacts
from omtx_core.analysis.interaction_diagram_svg import residue_text
from omtx_core.ui.interaction_view import DOWNLOAD_LABEL
from tests.boltz_fixture_output import AFFINITY_CASE
from tests.e2e.browser import assert_no_exception, download, goto, open_tab, shoot
from tests.examples import CARAZOLOL

pytestmark = pytest.mark.browser
SVG = "{http://www.w3.org/2000/svg}"

DIAGRAM = '[data-testid="stMain"] img[src^="data:image/svg+xml;base64,"]'
PREFIX = "data:image/svg+xml;base64,"


def residue_labels(svg: bytes) -> list[str]:
    root = ET.fromstring(svg.decode("utf-8"))
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class") == "residue-label"]


def expected_labels() -> set[str]:
    """The labels of the contacts the Contacts table lists, from the analysis run on the same model."""
    model = next((AFFINITY_CASE / "predictions").glob("*/*_model_0.cif"))
    return {residue_text(contact) for contact in ligand_contacts(model, "L", smiles=CARAZOLOL)}


def test_the_contacts_tab_draws_the_interaction_diagram_with_every_residue(page, app, imported_jobs, screenshots):
    goto(page, app, f"job?job={imported_jobs['carazolol']}")
    open_tab(page, "Contacts")
    assert_no_exception(page, "Contacts tab")
    diagram = page.locator(DIAGRAM)
    diagram.first.wait_for(state="visible", timeout=30_000)
    sources = [src for src in diagram.evaluate_all("es => es.map(e => e.src)") if "interaction-diagram" in _text(src)]
    assert len(sources) == 1
    diagram = page.locator(f'{DIAGRAM}[src="{sources[0]}"]')
    # Drawn: the browser decoded the SVG to its full size (an SVG it cannot read has no natural width).
    size = diagram.evaluate("e => [e.complete, e.naturalWidth, e.naturalHeight, e.clientWidth]")
    assert size[0] and size[1] >= 700 and size[2] >= 560 and size[3] >= 500, size

    svg = _text(sources[0]).encode("utf-8")
    expected = expected_labels()
    shown = residue_labels(svg)
    assert len(shown) == len(expected) == 18 and set(shown) == expected
    # The table beside it lists the same 18 residues.
    assert page.locator('[data-testid="stMain"]').get_by_text("18 residue(s)").count() == 1
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}path"))) >= 20  # the ligand drawn by RDKit, nested in the diagram
    legend = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend-entry"}
    assert {"H-bond", "salt bridge", "hydrophobic", "π-stacking"} <= legend

    diagram.scroll_into_view_if_needed()
    diagram.screenshot(path=str(screenshots / "30-interaction-diagram.png"))
    shoot(page, screenshots, "30-interaction-diagram-tab")

    name, data = download(page, DOWNLOAD_LABEL)
    assert name.endswith(".svg") and data == svg
    assert set(residue_labels(data)) == expected


def _text(src: str) -> str:
    return base64.b64decode(src[len(PREFIX) :]).decode("utf-8") if src.startswith(PREFIX) else ""
