"""Sign-in through a real OpenID Connect provider (oidc-provider-mock) in the browser: each sees only their jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.browser import assert_no_exception, goto, shoot, submit_example, wait_for_job_page, wait_idle
from tests.e2e.conftest import VIEWPORT, running_app

pytestmark = pytest.mark.browser

COOKIE_SECRET = "cookie-secret-made-for-the-sign-in-test"
CLIENT_SECRET = "client-secret-made-for-the-sign-in-test"
WORD_JOINER = "\u2060"  # omtx_core.ui.text.plain breaks e-mail autolinks with it


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OpenID Connect provider; its authorize page lets the tester type who signs in (the `sub`, which
    is also the e-mail claim of a user it has not seen before)."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def team_app(provider, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sign-in-app")
    (tmp / ".streamlit").mkdir()
    (tmp / ".streamlit" / "secrets.toml").write_text(  # the app's HOME is `tmp`: Streamlit reads this file
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "omtx-hub"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {"OMTX_AUTH": "oidc", "OMTX_ALLOWED_DOMAINS": "lab.example"}
    with running_app(tmp, env) as app:
        yield app


@pytest.fixture
def new_session(browser):
    """Fresh browser contexts: separate cookies, so separate signed-in users."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text().replace(WORD_JOINER, "")


def sign_in(page, app, email: str) -> None:
    goto(page, app, "")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.locator('input[name="sub"]').fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(re.compile(re.escape(app.url) + r"/?(\?.*)?$"))
    wait_idle(page)


def sign_out(page, app) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    end = page.get_by_role("button", name="End session")  # the provider asks before ending its session
    end.or_(page.get_by_role("button", name="Sign in", exact=True)).first.wait_for(timeout=30_000)
    if end.count():
        end.click()
    page.wait_for_url(re.compile(re.escape(app.url)))
    wait_idle(page)


def test_two_users_see_only_their_own_jobs_an_outsider_is_refused_and_sign_out_works(
    team_app, new_session, screenshots
):
    alice = new_session()
    goto(alice, team_app, "jobs")  # a page opened by URL, signed out: the sign-in page and nothing else
    assert alice.get_by_role("button", name="Sign in", exact=True).count() == 1
    shoot(alice, screenshots, "sign_in_page")
    assert alice.locator('[data-testid="stSidebarNav"]').count() == 0

    sign_in(alice, team_app, "alice@lab.example")
    sidebar = alice.locator('[data-testid="stSidebar"]')
    assert "alice@lab.example" in sidebar.inner_text().replace(WORD_JOINER, "")
    submit_example(alice, team_app, "protein_structure")
    job_id = wait_for_job_page(alice)
    wait_idle(alice)
    assert_no_exception(alice, "alice's job")
    goto(alice, team_app, "jobs")
    assert "1 job(s) match" in main_text(alice), main_text(alice)[:2000]  # the table itself is a canvas
    shoot(alice, screenshots, "signed_in_sidebar")

    bob = new_session()
    sign_in(bob, team_app, "bob@lab.example")
    goto(bob, team_app, "jobs")
    assert "0 job(s) match" in main_text(bob), main_text(bob)[:2000]
    goto(bob, team_app, f"job?job={job_id}")
    assert f"There is no job {job_id}" in main_text(bob)
    goto(alice, team_app, f"job?job={job_id}")
    assert "There is no job" not in main_text(alice)

    mallory = new_session()
    sign_in(mallory, team_app, "mallory@other.example")
    text = main_text(mallory)
    assert "mallory@other.example" in text and "may not use this deployment" in text
    assert mallory.locator('[data-testid="stSidebarNav"]').count() == 0
    shoot(mallory, screenshots, "sign_in_refused")

    sign_out(alice, team_app)
    assert alice.get_by_role("button", name="Sign in", exact=True).count() == 1
    goto(alice, team_app, f"job?job={job_id}")
    assert alice.get_by_role("button", name="Sign in", exact=True).count() == 1
    assert job_id not in main_text(alice)
    for secret in (COOKIE_SECRET, CLIENT_SECRET):
        assert secret not in team_app.stderr_tail(10**6)
