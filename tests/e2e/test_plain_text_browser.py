"""In a real Chromium, a job name and a `?job=` value made of Markdown show as their own text: no link, no image."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.browser import goto, wait_for_job_page, wait_idle

pytestmark = pytest.mark.browser

JOB_NAME = (
    "[click](https://evil.example) ![x](https://evil.example/p.png) **bold** :red[x] <b>x</b> $x$ "
    ":material/home: :smile: www.evil.example a@evil.example"
)
URL_JOB = "[x](https://evil.example) ![i](https://evil.example/p.png)"
WORD_JOINER = "\u2060"  # invisible; the app puts it inside `:smile:`-like patterns so they stay text


def visible_text(locator) -> str:
    return locator.inner_text().replace(WORD_JOINER, "").strip()


def assert_nothing_points_at_the_attacker(page, where: str) -> None:
    # A heading's own `#slug` anchor may spell the words; a link away from the page may not.
    for selector in ('a[href*="evil"]:not([href^="#"])', 'img[src*="evil"]', '[data-testid="stMain"] .katex'):
        found = page.locator(selector)
        details = (
            found.first.evaluate(
                "e => { let t = []; for (let n = e; n; n = n.parentElement) if (n.dataset && n.dataset.testid) "
                "t.push(n.dataset.testid); return e.outerHTML.slice(0, 300) + ' in ' + t.join(' < '); }"
            )
            if found.count()
            else ""
        )
        assert found.count() == 0, f"{where}: found {selector}: {details}"


def test_markdown_in_a_job_name_and_the_url_is_shown_as_text(page, app, screenshots):
    goto(page, app, "protein_structure")
    page.get_by_role("button", name="Example", exact=True).click()
    name_box = page.locator('input[aria-label="Job name (optional)"]')
    page.wait_for_function("b => b.value.trim().length > 0", arg=name_box.element_handle(), polling=100)
    wait_idle(page)  # the example filled the form; its job name is now replaced by the attacker's text
    name_box.fill(JOB_NAME)
    name_box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Submit job", exact=True).click()
    job_id = wait_for_job_page(page)
    wait_idle(page)
    title = page.locator('[data-testid="stMain"] h1').first
    assert visible_text(title) == JOB_NAME
    assert title.locator("strong, b, span[role='img'], .katex").count() == 0
    assert_nothing_points_at_the_attacker(page, "job page")
    page.screenshot(path=str(screenshots / "plain-text-job-name.png"))

    goto(page, app, "")  # Home lists recent jobs as links to their pages
    link = page.locator(f'[data-testid="stMain"] a[href*="{job_id}"]').first
    assert visible_text(link.locator('[data-testid="stMarkdownContainer"]')) == JOB_NAME  # after its icon
    assert_nothing_points_at_the_attacker(page, "home page")
    page.screenshot(path=str(screenshots / "plain-text-home.png"))

    goto(page, app, "job")  # without ?job= the page offers the recent jobs in a selectbox (plain text)
    picker = page.locator('[data-testid="stSelectbox"] input[role="combobox"]').first
    assert picker.input_value().startswith(f"{JOB_NAME} · ")  # so its options need no escaping
    assert_nothing_points_at_the_attacker(page, "job picker")

    goto(page, app, f"job?job={quote(URL_JOB)}")
    error = page.locator('[data-testid="stAlertContentError"]').first
    assert f"There is no job {URL_JOB}." in visible_text(error)
    assert_nothing_points_at_the_attacker(page, "unknown job")
