"""Sign-in: who is admitted, the identity a sign-in gives, and each user's own jobs in the app and its service."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from omtx_core.config import Settings, load_settings
from omtx_core.config_check import auth_section_problems
from omtx_core.domain.identity import owner_id
from omtx_core.domain.job import JobQuery
from omtx_core.errors import JobNotFound
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.ui import navigation
from omtx_core.ui.auth import admitted, identity_from_claims
from tests.examples import VALID_INPUTS
from tests.services import job_service
from tests.ui.rendered import WORD_JOINER, as_text

REAL_INSIDE_APP = navigation.inside_app  # taken before tests/ui/conftest.py's fixture replaces it
APP = Path(__file__).resolve().parents[2] / "app.py"
ISSUER = "https://id.lab.example"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "cookie-secret-for-tests",
        "client_id": "omtx", "client_secret": "client-secret-for-tests",
        "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration"}  # fmt: skip
TEAM = Settings(allowed_emails="carol@partner.example", allowed_domains="lab.example", admin_emails="boss@hq.example")


def claims(email: str, sub: str | None = None, **more) -> dict:
    return {"is_logged_in": True, "iss": ISSUER, "sub": sub or email.split("@")[0], "email": email, **more}


# ---- pure rules ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("email", "expected"),
    [("alice@lab.example", True), ("Alice@LAB.example", True), ("carol@partner.example", True),
     ("dave@partner.example", False), ("boss@hq.example", True), ("mallory@other.example", False),
     ("mallory@evil-lab.example", False), ("lab.example", False), ("", False)],
)  # fmt: skip
def test_admission_by_address_domain_or_admin(email, expected):
    assert admitted(email, TEAM) is expected


def test_nobody_is_admitted_when_no_users_are_configured():
    assert not admitted("alice@lab.example", Settings())


def test_a_sign_in_gives_an_owner_from_issuer_and_subject_and_admin_from_the_address():
    alice = identity_from_claims(claims("alice@lab.example"), TEAM)
    assert alice.owner == owner_id(ISSUER, "alice") and alice.email == "alice@lab.example"
    assert not alice.admin and not alice.sees_all and alice.owner_filter == alice.owner
    boss = identity_from_claims(claims("Boss@hq.example"), TEAM)
    assert boss.admin and boss.sees_all
    other_issuer = identity_from_claims({**claims("alice@lab.example"), "iss": "https://elsewhere.example"}, TEAM)
    assert other_issuer.owner != alice.owner  # the same subject at another provider is another person


def test_an_unverified_address_counts_as_none():
    identity = identity_from_claims(claims("boss@hq.example", email_verified=False), TEAM)
    assert identity.email == "" and not identity.admin and not admitted(identity.email, TEAM)


def test_auth_config_problems_name_what_is_missing():
    assert auth_section_problems(AUTH) == []
    assert "no [auth] section" in auth_section_problems(None)[0]
    (problem,) = auth_section_problems({**AUTH, "client_secret": "", "server_metadata_url": None})
    assert "client_secret" in problem and "server_metadata_url" in problem
    assert "oauth2callback" in auth_section_problems({**AUTH, "redirect_uri": "http://localhost:8501/"})[0]


# ---- each user's jobs through the service ---------------------------------------------------------------------------
def test_a_user_cannot_get_cancel_rerun_or_delete_another_users_job_and_an_admin_sees_both(tmp_path):
    store, artifacts = SqliteJobStore(tmp_path / "jobs.sqlite3"), LocalArtifactStore(tmp_path / "artifacts")
    emails = ("alice@lab.example", "bob@lab.example", "boss@hq.example")
    alice, bob, boss = (identity_from_claims(claims(email), TEAM) for email in emails)
    as_alice, as_bob, as_boss = (job_service(store, artifacts, settings=TEAM, identity=i) for i in (alice, bob, boss))
    job = as_alice.submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    theirs = as_bob.submit("protein_structure", {**VALID_INPUTS["protein_structure"], "job_name": "bob's"}).job
    assert job.owner == alice.owner and theirs.owner == bob.owner
    for act in (as_bob.get, as_bob.cancel, as_bob.rerun, as_bob.delete):
        with pytest.raises(JobNotFound):
            act(job.id)
    assert [j.id for j in as_bob.list(JobQuery()).jobs] == [theirs.id]
    assert [j.id for j in as_alice.list(JobQuery()).jobs] == [job.id]
    assert as_bob.cached_result(as_bob.validate("protein_structure", VALID_INPUTS["protein_structure"])) is None
    assert {j.id for j in as_boss.list(JobQuery()).jobs} == {job.id, theirs.id}
    assert as_boss.get(job.id).id == job.id
    assert store.get(job.id).status.value == "pending"  # none of Bob's attempts touched it
    as_alice.delete(job.id)
    assert store.get(job.id) is None


# ---- the app --------------------------------------------------------------------------------------------------------
@pytest.fixture
def team(monkeypatch):
    monkeypatch.setenv("OMTX_AUTH", "oidc")
    monkeypatch.setenv("OMTX_ALLOWED_DOMAINS", "lab.example")
    monkeypatch.setenv("OMTX_ADMIN_EMAILS", "boss@hq.example")


@pytest.fixture
def pages_by_url(monkeypatch):
    """AppTest starts every run in Streamlit's `pages/` folder mode, where a switched-to page runs alone; the real
    `inside_app` reruns app.py around it, as a server does, so the gate decides what that address shows."""
    monkeypatch.setattr(navigation, "inside_app", REAL_INSIDE_APP)


def app_as(user: dict | None, page: str | None = None, query: dict | None = None, auth: dict | None = AUTH) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if auth is not None:
        at.secrets["auth"] = auth
    at.user = user if user is not None else {"is_logged_in": False}
    if page:  # AppTest opens only pages the last run registered: those an admitted user's run registers
        at.user, signed_out = claims("boss@hq.example"), at.user
        at.run()
        at.switch_page(page)
        at.query_params.update(query or {})
        at.user = signed_out  # the same address, now for whoever `user` is
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.error, *at.caption, *at.sidebar.caption)]
    return " ".join(as_text(part) for part in parts).replace(WORD_JOINER, "")


def imported(owner_claims: dict, name: str) -> str:
    settings = load_settings()
    store = SqliteJobStore(settings.database_path)
    service = job_service(store, settings=TEAM, identity=identity_from_claims(owner_claims, TEAM))
    return service.submit("protein_structure", {**VALID_INPUTS["protein_structure"], "job_name": name}).job.id


@pytest.mark.parametrize("page", [None, "pages/jobs.py", "pages/job.py"])
def test_signed_out_every_page_is_the_sign_in_page(team, pages_by_url, page):
    job_id = imported(claims("alice@lab.example"), "alice secret job")
    at = app_as(None, page, {"job": job_id})
    assert [b.label for b in at.button] == ["Sign in"]
    assert "alice secret job" not in shown(at) and not at.sidebar.caption and not at.dataframe


def test_an_address_outside_the_allowed_ones_is_refused_by_name(team, pages_by_url):
    at = app_as(claims("mallory@other.example"), "pages/jobs.py")
    assert "mallory@other.example" in shown(at) and "may not use this deployment" in shown(at)
    assert [b.label for b in at.button] == ["Sign out"] and not at.dataframe


def test_with_no_allowed_users_the_refusal_says_none_are_configured(monkeypatch):
    monkeypatch.setenv("OMTX_AUTH", "oidc")
    at = app_as(claims("alice@lab.example"))
    assert "no allowed users configured" in shown(at)


def test_sign_in_without_an_auth_section_is_one_readable_error(team):
    at = app_as(None, auth=None)
    assert len(at.error) == 1 and "no [auth] section" in as_text(at.error[0].value) and not at.button


def test_signed_in_users_see_who_they_are_and_only_their_own_jobs(team):
    mine, theirs = imported(claims("alice@lab.example"), "alice job"), imported(claims("bob@lab.example"), "bob job")
    home = app_as(claims("alice@lab.example"))  # AppTest keeps no sidebar after a page switch
    sidebar = " ".join(as_text(c.value) for c in home.sidebar.caption).replace(WORD_JOINER, "")
    assert "**Signed in as** alice@lab.example" in sidebar
    alice = identity_from_claims(claims("alice@lab.example"), load_settings())
    assert f"User id (for API keys): `{alice.owner}`" in sidebar  # what `keys create --owner` takes
    assert "**Queued jobs:** 2" in sidebar  # the deployment's whole queue: how long one waits
    assert "Sign out" in [b.label for b in home.sidebar.button]
    at = app_as(claims("alice@lab.example"), "pages/jobs.py")
    table = " ".join(str(frame.value.to_dict()) for frame in at.dataframe)
    assert "alice job" in table and "bob job" not in table
    other = app_as(claims("alice@lab.example"), "pages/job.py", {"job": theirs})
    assert any(f"There is no job {theirs}" in as_text(e.value) for e in other.error)
    own = app_as(claims("alice@lab.example"), "pages/job.py", {"job": mine})
    assert not any("There is no job" in as_text(e.value) for e in own.error)


def test_an_admin_sees_every_users_jobs(team):
    imported(claims("alice@lab.example"), "alice job"), imported(claims("bob@lab.example"), "bob job")
    at = app_as(claims("boss@hq.example"), "pages/jobs.py")
    table = " ".join(str(frame.value.to_dict()) for frame in at.dataframe)
    assert "alice job" in table and "bob job" in table
    assert "Admin" in " ".join(c.value for c in app_as(claims("boss@hq.example")).sidebar.caption)


def test_without_sign_in_the_app_is_the_local_users_as_before(monkeypatch):
    monkeypatch.delenv("OMTX_AUTH", raising=False)
    at = app_as({})
    assert "Sign in" not in [b.label for b in at.button] and not any("Signed in" in c.value for c in at.sidebar.caption)
