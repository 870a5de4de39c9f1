"""Depictions in Chromium: the molecule drawn under a typed SMILES, and thumbnails painted in the compound tables."""

from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from omtx_core.ui.molecules import THUMBNAIL_ROW_HEIGHT
from tests.e2e.browser import (
    FORM_FILLED_JS,
    PAINT_JS,
    assert_no_exception,
    click_button,
    goto,
    open_tab,
    shoot,
    submit_example,
    wait_completed,
    wait_for_job_page,
    wait_idle,
)
from tests.examples import CARAZOLOL

pytestmark = pytest.mark.browser

# The loaded <img> copied onto a canvas and measured as the 3D viewer's canvas is: bonds and labels are paint.
IMAGE_PAINT_JS = f"""(img) => {{
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  c.getContext('2d').drawImage(img, 0, 0);
  return ({PAINT_JS})(c);
}}"""


def depiction_under_field(page):
    """The visible depiction <img> in the main area, once loaded; its box and paint measure."""
    image = page.locator('[data-testid="stMain"] [data-testid="stImage"] img')
    image.first.wait_for(state="visible")
    assert image.count() == 1, f"expected one depiction, found {image.count()}"
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.first.element_handle())
    return image.first.bounding_box(), image.first.evaluate(IMAGE_PAINT_JS)


def headers(table) -> list[str]:
    """Column names from the accessible table Glide keeps inside its canvas (not painted, so read as text)."""
    cells = table.locator('th[role="columnheader"]')
    cells.first.wait_for(state="attached")  # Glide fills it a moment after the canvas shows
    return [h.text_content().strip() for h in cells.all()]


def chemistry_pixels(png: bytes) -> int:
    """Pixels in RDKit's oxygen red or nitrogen blue: table text and chrome are grey, so these come from drawings."""
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for r, g, b in pixels if (r > 180 and g < 90 and b < 90) or (b > 180 and r < 90 and g < 90))


def wait_for_thumbnails(table, wait_s: float = 15.0) -> int:
    """Glide's grid loads each image then repaints its canvas: poll the table's screenshot until drawings show."""
    deadline = time.monotonic() + wait_s
    while True:
        count = chemistry_pixels(table.screenshot())
        if count > 50 or time.monotonic() > deadline:
            return count
        time.sleep(0.5)


def test_a_typed_smiles_is_drawn_under_the_field(page, app, screenshots):
    goto(page, app, "protein_ligand_binding")
    box = page.get_by_label("Ligand SMILES", exact=True)
    box.fill(f"{CARAZOLOL}.[Cl-]")
    box.press("Enter")
    wait_idle(page)
    (size, paint) = depiction_under_field(page)
    assert size["width"] > 200 and size["height"] > 100, size
    assert paint["painted"] > 0.02 * paint["sampled"] and paint["colours"] >= 3, paint  # black, red O, blue N
    main = page.locator('[data-testid="stMain"]')
    caption = main.get_by_text(re.compile(r"heavy atoms · as the job will use it")).inner_text()
    assert "C18H23N2O2+ · 22 heavy atoms" in caption and "left out: [Cl-]" in caption, caption
    field_box = box.bounding_box()
    assert field_box["y"] < size["y"] and abs(field_box["x"] - size["x"]) < 40, "the drawing is not under the field"
    assert_no_exception(page, "binding form with a SMILES")
    shoot(page, screenshots, "31-smiles-depiction")

    box.fill("C1CC")
    box.press("Enter")
    main.get_by_text("Not a valid SMILES yet.", exact=True).wait_for()  # the rerun has landed
    wait_idle(page)
    assert page.locator('[data-testid="stMain"] [data-testid="stImage"]').count() == 0


def test_the_library_preview_paints_a_structure_thumbnail_column(page, app, screenshots):
    goto(page, app, "drug_discovery")
    click_button(page, "Example")
    page.wait_for_function(FORM_FILLED_JS, timeout=45_000, polling=100)
    wait_idle(page)
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    table.wait_for(state="visible")
    assert headers(table)[:4] == ["#", "Structure", "Name", "SMILES"]
    assert wait_for_thumbnails(table) > 50, "no drawn molecule in the preview table"
    assert_no_exception(page, "drug discovery preview")
    shoot(page, screenshots, "32-compound-thumbnails")


def test_the_ranked_screen_table_has_thumbnails_and_a_selected_compound_is_drawn_beside_its_pose(
    page, app, screenshots
):
    submit_example(page, app, "drug_discovery")
    wait_for_job_page(page)
    wait_completed(page)
    open_tab(page, "Compounds")
    panel = page.locator('[role="tabpanel"]:visible')
    table = panel.locator('[data-testid="stDataFrame"]').first
    table.wait_for(state="visible")
    assert headers(table)[:3] == ["Rank", "Structure", "Name"]
    assert wait_for_thumbnails(table) > 50, "no drawn molecule in the ranked table"
    # Glide draws rows on a canvas: click the first data row's selection marker, left of the Rank column; a click
    # landing while the grid still settles can be dropped, so it is tried again.
    area, pose = table.bounding_box(), panel.get_by_text(re.compile(r"^Predicted pose of "))
    for attempt in range(3):
        wait_idle(page)
        page.mouse.click(area["x"] + 12, area["y"] + 35 + THUMBNAIL_ROW_HEIGHT / 2)
        try:
            pose.wait_for(timeout=10_000)  # a second click on a selected row would clear the selection: wait first
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    wait_idle(page)
    (size, paint) = depiction_under_field(page)
    assert size["width"] > 200 and paint["painted"] > 0.02 * paint["sampled"], (size, paint)
    assert_no_exception(page, "screen compounds with a selection")
    shoot(page, screenshots, "32-selected-compound")
