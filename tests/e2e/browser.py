"""Shared real-browser helpers: settle, open pages and tabs, screenshots, downloads, 3D canvas paint."""

from __future__ import annotations

import re
import time
from pathlib import Path

COMPLETE_TIMEOUT_MS = 90_000
IDLE_MS = 600  # the app must stay idle this long to count as settled
MAX_SHOT_HEIGHT = 8000

# True once the app has been idle (script not running, no running icon, no element still loading its code, which
# Streamlit shows as a grey skeleton) for IDLE_MS.
_IDLE_JS = """(idleMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const loading = Array.from(document.querySelectorAll('[data-testid="stSkeleton"]'))
    .some(e => e.getClientRects().length > 0);
  const idle = app !== null && app.getAttribute('data-test-script-state') === 'notRunning' && !loading
    && document.querySelector('[data-testid="stStatusWidgetRunningIcon"]') === null;
  const now = performance.now();
  if (!idle) { window.__omtxIdleSince = null; return false; }
  if (window.__omtxIdleSince == null) window.__omtxIdleSince = now;
  return now - window.__omtxIdleSince >= idleMs;
}"""

# Paints of a canvas: copies it (WebGL included; 3Dmol keeps its drawing buffer) onto a 2D canvas and counts
# sampled pixels that are neither transparent nor near-white, and their distinct colours (4-bit per channel).
PAINT_JS = """(canvas) => {
  const w = canvas.width, h = canvas.height;
  if (!w || !h) return {width: w, height: h, painted: 0, colours: 0, sampled: 0};
  const copy = document.createElement('canvas');
  copy.width = w; copy.height = h;
  const ctx = copy.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, w, h).data;
  let painted = 0, sampled = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4 * 7) {
    sampled++;
    const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
    if (a > 16 && (r < 235 || g < 235 || b < 235)) {
      painted++;
      colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    }
  }
  return {width: w, height: h, painted: painted, colours: colours.size, sampled: sampled};
}"""

# The same measure on canvases known to be blank: a new 2D canvas and a WebGL one cleared to white.
BLANK_JS = """(paint) => {
  const measure = eval(paint);
  const plain = document.createElement('canvas');
  plain.width = 300; plain.height = 200;
  const results = [measure(plain)];
  const gl_canvas = document.createElement('canvas');
  gl_canvas.width = 300; gl_canvas.height = 200;
  const gl = gl_canvas.getContext('webgl', {preserveDrawingBuffer: true});
  if (gl) { gl.clearColor(1, 1, 1, 1); gl.clear(gl.COLOR_BUFFER_BIT); results.push(measure(gl_canvas)); }
  return results;
}"""


# ---- helpers -------------------------------------------------------------------------------------


# Every example names its job, so a filled job-name box means the Example rerun has landed.
FORM_FILLED_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] input[type="text"]'))
  .some(box => box.getAttribute('aria-label') === 'Job name (optional)' && box.value.trim().length > 0)"""


def wait_idle(page, timeout_ms: int = 45_000) -> None:
    """Wait for the Streamlit app to be drawn and to have finished its script run."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(_IDLE_JS, arg=IDLE_MS, timeout=timeout_ms, polling=100)


def goto(page, app, path: str) -> None:
    page.goto(f"{app.url}/{path}")
    wait_idle(page)


def click_button(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    wait_idle(page)


def open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).click()
    wait_idle(page)


def assert_no_exception(page, where: str) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, f"{where}: Streamlit exception box: {boxes.first.inner_text()[:2000]}"
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Traceback" not in text, f"{where}: a traceback is shown:\n{text[:3000]}"


def shoot(page, folder: Path, name: str) -> None:
    """A screenshot of the whole main area: the viewport grows to the page's scroll height for the shot."""
    height = page.evaluate(
        """() => Math.max(...Array.from(document.querySelectorAll('[data-testid="stMain"], [data-testid="stMain"] *'))
             .filter(e => e.scrollHeight > e.clientHeight + 4).map(e => e.scrollHeight), 0)"""
    )
    size = page.viewport_size
    page.mouse.move(size["width"] - 5, size["height"] - 5)  # no tooltip left over the page
    tall = min(max(int(height) + 80, size["height"]), MAX_SHOT_HEIGHT)
    if tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": tall})
        page.wait_for_timeout(400)
    try:
        page.screenshot(path=str(folder / f"{name}.png"))
    finally:
        if tall > size["height"]:
            page.set_viewport_size(size)


def download(page, label: str | re.Pattern) -> tuple[str, bytes]:
    """Click a visible download button; return the suggested file name and the file's bytes."""
    with page.expect_download(timeout=30_000) as event:
        page.get_by_role("button", name=label).click()
    done = event.value
    return done.suggested_filename, Path(done.path()).read_bytes()


def submit_example(page, app, task: str) -> None:
    goto(page, app, task)
    click_button(page, "Example")
    page.wait_for_function(FORM_FILLED_JS, timeout=45_000, polling=100)
    wait_idle(page)
    page.get_by_role("button", name="Submit job", exact=True).click()


def wait_for_job_page(page) -> str:
    """After Submit: the job page's URL (`job?job=<id>`), following "Open the job" if the form had warnings."""
    open_link = page.get_by_role("link", name="Open the job")
    deadline = time.monotonic() + 30
    while not re.search(r"/job\?job=", page.url) and time.monotonic() < deadline:
        if open_link.count() and open_link.first.is_visible():
            open_link.first.click()
        page.wait_for_timeout(200)
    match = re.search(r"/job\?job=([^&#]+)", page.url)
    assert match, f"Submit did not lead to the job page; URL is {page.url}"
    return match.group(1)


def badge(page, label: str):
    return page.locator('[data-testid="stMain"]').get_by_text(label, exact=True)


def wait_completed(page) -> None:
    page.locator('[data-testid="stMain"]').get_by_text("Completed", exact=True).first.wait_for(
        state="visible", timeout=COMPLETE_TIMEOUT_MS
    )
    wait_idle(page)
    assert badge(page, "Failed").count() == 0


def visible_viewer_frame(page):
    viewer = page.locator('iframe:visible[srcdoc*="3Dmol"]')
    viewer.first.wait_for(state="visible")
    assert viewer.count() == 1, f"expected one visible 3D viewer, found {viewer.count()}"
    frame = viewer.first.element_handle().content_frame()
    assert frame is not None
    return frame


def canvas_paint(frame, wait_s: float = 15.0) -> dict:
    """The viewer canvas's paint measure, polled until it is drawn or `wait_s` passes."""
    frame.wait_for_selector("canvas", timeout=15_000)
    deadline = time.monotonic() + wait_s
    while True:
        paint = frame.locator("canvas").first.evaluate(PAINT_JS)
        if (paint["painted"] > 0.01 * paint["sampled"] and paint["colours"] >= 3) or time.monotonic() > deadline:
            return paint
        time.sleep(0.5)


def check_structure_viewer(page) -> None:
    frame = visible_viewer_frame(page)
    page.wait_for_timeout(3000)  # 3Dmol.js draws about 3 s after the frame loads
    blanks = frame.evaluate(BLANK_JS, PAINT_JS)
    assert all(b["painted"] == 0 for b in blanks), f"the paint measure sees paint on a blank canvas: {blanks}"
    paint = canvas_paint(frame)
    assert paint["painted"] > 0.01 * paint["sampled"] and paint["colours"] >= 3, f"3D canvas looks blank: {paint}"
