"""The Contacts tab of an imported carazolol job shows the 2D interaction diagram and its SVG download."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from omtx_core.ui.interaction_view import DOWNLOAD_LABEL, LINES_NOTE
from tests.boltz_fixture_output import AFFINITY_CASE
from tests.ui.test_imported_job_page import import_into_the_app
from tests.ui.test_job_page import open_job

PREFIX = "data:image/svg+xml;base64,"


def svg_of(image) -> str:
    """The SVG text of an st.image element, which the page is sent as a base64 data URI."""
    url = image.proto.imgs[0].url
    assert url.startswith(PREFIX), url[:60]
    return base64.b64decode(url[len(PREFIX) :]).decode("utf-8")


def _tab(at, label: str):
    return next(tab for tab in at.tabs if tab.label == label)


def test_the_contacts_tab_of_an_imported_carazolol_job_shows_the_diagram_and_its_download():
    job = import_into_the_app(AFFINITY_CASE)
    at = open_job(job.id)
    contacts = _tab(at, "Contacts")

    rows = next(iter(contacts.dataframe)).value
    svgs = [svg_of(image) for image in contacts.get("image") if "interaction-diagram" in svg_of(image)]
    assert len(svgs) == 1
    root = ET.fromstring(svgs[0])
    shown = {g.get("data-residue") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "residue"}
    assert shown == set(rows["Residue"]) and len(shown) == 18
    assert any(caption.value == LINES_NOTE for caption in contacts.caption)
    # The import recovered the ligand's SMILES, so the diagram has its bond orders and no note of what is missing.
    assert job.input.get("ligand_smiles") and not any("drawn from its coordinates" in c.value for c in contacts.caption)
    buttons = [element for element in contacts.get("download_button") if element.proto.label == DOWNLOAD_LABEL]
    assert len(buttons) == 1
    assert not at.error and not at.exception
