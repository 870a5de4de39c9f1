"""Who may call the API, over HTTP: no key, a wrong or revoked key are 401; a key sees only its owner's jobs (on
Supabase through row-level security, as that owner); OMTX_API_OPEN serves the local user; keys never reach a log."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid

import httpx
import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient

from omtx_core.api.app import create_app
from omtx_core.api.keys import create_key, open_key_store
from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_OWNER, Identity
from omtx_core.domain.job import utcnow
from tests.examples import VALID_INPUTS

JOBS = "/api/v1/jobs"
ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())
STRUCTURE = {"task_type": "protein_structure", "input_data": VALID_INPUTS["protein_structure"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit(client: TestClient, token: str | None, name: str) -> str:
    headers = bearer(token) if token else {}
    response = client.post("/api/v1/predict", json={**STRUCTURE, "job_name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["job_id"]


def names(client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.get(JOBS, headers=headers)
    assert response.status_code == 200, response.text
    return {job["job_name"] for job in response.json()["jobs"]}


def assert_unauthorized(response: httpx.Response, token: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and error["message"] and error["hint"]
    if token:
        assert token not in response.text


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def tokens(settings) -> dict[str, str]:
    store = open_key_store(settings)
    return {name: create_key(store, owner, email=f"{name}@lab.example")[1]
            for name, owner in (("alice", ALICE), ("bob", BOB), ("local", LOCAL_OWNER))}  # fmt: skip


@pytest.fixture
def client(settings) -> TestClient:
    with TestClient(create_app(settings)) as client:
        yield client


def test_without_a_key_every_route_is_401(client):
    assert_unauthorized(client.get(JOBS))
    assert_unauthorized(client.post("/api/v1/predict", json=STRUCTURE))
    assert_unauthorized(client.get(f"{JOBS}/0123456789abcdef"))
    assert_unauthorized(client.get(JOBS, headers={"Authorization": "Bearer "}))
    assert_unauthorized(client.get(JOBS, headers={"Authorization": "Basic dXNlcjpwYXNz"}))


def test_a_wrong_key_is_401(client, tokens):
    good = tokens["alice"]
    for bad in [
        good[:-1] + ("A" if good[-1] != "A" else "B"),
        good + "x",
        "omtx_0123456789abcdef_nope",
        "not-a-key-at-all",
    ]:
        assert_unauthorized(client.get(JOBS, headers=bearer(bad)), bad)
        assert_unauthorized(client.get(JOBS, headers={"X-API-Key": bad}), bad)


def test_a_revoked_key_is_401_at_once(client, settings, tokens):
    token = tokens["alice"]
    assert client.get(JOBS, headers=bearer(token)).status_code == 200
    open_key_store(settings).revoke(token.split("_")[1], utcnow())
    assert_unauthorized(client.get(JOBS, headers=bearer(token)), token)
    assert client.get(JOBS, headers=bearer(tokens["bob"])).status_code == 200  # only that key


def test_a_key_sees_only_its_owners_jobs(client, tokens):
    alices = submit(client, tokens["alice"], "alice's")
    bobs = submit(client, tokens["bob"], "bob's")
    assert names(client, bearer(tokens["alice"])) == {"alice's"}
    assert names(client, {"X-API-Key": tokens["bob"]}) == {"bob's"}  # the other header works alike
    assert client.get(f"{JOBS}/{alices}", headers=bearer(tokens["alice"])).json()["job_name"] == "alice's"
    for method, path in [("GET", f"{JOBS}/{bobs}"), ("POST", f"{JOBS}/{bobs}/cancel"), ("DELETE", f"{JOBS}/{bobs}")]:
        response = client.request(method, path, headers=bearer(tokens["alice"]))
        assert response.status_code == 404 and response.json()["error"]["code"] == "job_not_found", response.text
    assert client.get(f"{JOBS}/{bobs}", headers=bearer(tokens["bob"])).status_code == 200  # still there


def test_open_mode_serves_the_local_user_and_a_given_key_still_decides(settings, tokens):
    with TestClient(create_app(settings.model_copy(update={"api_open": True}))) as client:
        submit(client, None, "local's")
        submit(client, tokens["alice"], "alice's")
        assert names(client, {}) == {"local's"}
        assert names(client, bearer(tokens["local"])) == {"local's"}
        assert names(client, bearer(tokens["alice"])) == {"alice's"}
        assert_unauthorized(client.get(JOBS, headers=bearer(tokens["alice"] + "x")))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_keys_never_reach_a_log_not_even_uvicorns_access_log(settings, tokens, caplog, capfd):
    """Over a real uvicorn server with its access log on, at DEBUG: good, wrong and revoked keys leave no trace."""
    caplog.set_level(logging.DEBUG)
    collect = Collect()  # on uvicorn's own loggers: an earlier logging setup may have stopped them propagating
    uvicorn_loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access", "uvicorn.error")]
    saved = [(logger.disabled, logger.level) for logger in uvicorn_loggers]
    for logger in uvicorn_loggers:
        logger.disabled = False
        logger.setLevel(logging.DEBUG)
        logger.addHandler(collect)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    good, wrong = tokens["alice"], tokens["bob"][:-2] + "zz"
    try:
        deadline = time.monotonic() + 30  # a loaded machine starts it slowly
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert http.post("/api/v1/predict", json=STRUCTURE, headers=bearer(good)).status_code == 201
            assert http.get(JOBS, headers={"X-API-Key": good}).status_code == 200
            assert http.get(JOBS, headers=bearer(wrong)).status_code == 401
            open_key_store(settings).revoke(good.split("_")[1], utcnow())
            assert http.get(JOBS, headers=bearer(good)).status_code == 401
    finally:
        server.should_exit = True
        thread.join(10)
        for logger, (disabled, level) in zip(uvicorn_loggers, saved, strict=True):
            logger.removeHandler(collect)
            logger.disabled, logger.level = disabled, level
    access = "\n".join(collect.lines)
    assert "GET /api/v1/jobs" in access and "401" in access  # the access log was captured: the check means something
    logged = "\n".join(record.getMessage() for record in caplog.records)
    output = capfd.readouterr()
    for text in (access, logged, output.out, output.err):
        for token in (good, wrong):
            assert token not in text and token.rsplit("_", 1)[1] not in text


@pytest.fixture
def supabase_settings(server, supabase_db, tmp_path) -> Settings:
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute("truncate public.api_keys")
    return Settings(store="supabase", supabase_url=server.url, supabase_key=server.service_key,
                    supabase_jwt_secret=server.secret, data_dir=tmp_path / "data")  # fmt: skip


def test_on_supabase_a_key_acts_as_its_owner_through_row_level_security(supabase_settings, supabase_db):
    store = open_key_store(supabase_settings)
    alice, bob = create_key(store, ALICE)[1], create_key(store, BOB)[1]
    admin = create_key(store, LOCAL_OWNER, admin=True)[1]
    app = create_app(supabase_settings)
    with TestClient(app) as client:
        alices, bobs = submit(client, alice, "alice's"), submit(client, bob, "bob's")
        assert names(client, bearer(alice)) == {"alice's"}
        assert names(client, bearer(bob)) == {"bob's"}
        assert client.get(f"{JOBS}/{bobs}", headers=bearer(alice)).status_code == 404
        assert names(client, bearer(admin)) >= {"alice's", "bob's"}
        assert_unauthorized(client.get(JOBS))
    with psycopg.connect(supabase_db) as conn:
        owners = dict(conn.execute("select id, owner from public.jobs where id in (%s, %s)", (alices, bobs)))
    assert owners == {alices: ALICE, bobs: BOB}
    # Alice's requests went through a client that sends a token minted for her (not the service key): RLS decides.
    jobs = app.state.service_for(Identity(ALICE)).store
    hook = jobs.client.options.httpx_client.event_hooks["request"][0]
    assert hook.token is not None and supabase_settings.supabase_key.get_secret_value() not in hook.token()
