"""`config check` and the app's start list every configuration problem at once, each with its fix; secrets hidden."""

from __future__ import annotations

import base64
import json

import pytest

from omtx_core import cli
from omtx_core.config import Settings
from omtx_core.config_check import check_configuration, configuration_problems

SECRET = "sb_secret_do-not-print-me-123"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "c" * 32,
    "client_id": "omtx",
    "client_secret": "s" * 16,
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith(("OMTX_", "MODAL_TOKEN"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "no-modal.toml"))


def fields(problems) -> list[str]:
    return [problem.field for problem in problems]


def test_the_default_configuration_has_no_problem():
    assert check_configuration().problems == []


def test_every_invalid_variable_is_listed_at_once_with_the_other_problems(monkeypatch):
    monkeypatch.setenv("OMTX_RUN_TIMEOUT_S", "-5")
    monkeypatch.setenv("OMTX_MAX_CONCURRENT", "0")
    monkeypatch.setenv("OMTX_METRICS_PORT", "70000")
    monkeypatch.setenv("OMTX_STORE", "supabase")
    report = check_configuration()
    assert fields(report.problems) == ["OMTX_RUN_TIMEOUT_S", "OMTX_MAX_CONCURRENT", "OMTX_METRICS_PORT",
                                       "OMTX_SUPABASE_URL", "OMTX_SUPABASE_KEY"]  # fmt: skip
    assert all(problem.hint for problem in report.problems)
    shown = {row.variable: row.value for row in report.effective}
    assert shown["OMTX_RUN_TIMEOUT_S"].startswith("invalid") and shown["OMTX_STORE"] == "supabase"


@pytest.mark.parametrize(
    ("key", "words"),
    [("sb_publishable_abc", "publishable"), (jwt({"role": "anon"}), "anon"), ("not a key", "")],
)
def test_a_supabase_key_that_can_see_no_jobs_is_a_problem(key, words):
    settings = Settings(store="fallback", supabase_url="https://p.supabase.co", supabase_key=key)
    (problem,) = configuration_problems(settings)
    assert problem.field == "OMTX_SUPABASE_KEY" and words in problem.message and key not in str(problem)


def test_the_service_key_and_a_user_token_are_fine():
    for claims in ({"role": "service_role"}, {"role": "authenticated", "sub": "u-1"}):
        settings = Settings(store="supabase", supabase_url="https://p.supabase.co", supabase_key=jwt(claims))
        assert configuration_problems(settings) == []


def test_modal_chosen_without_credentials_is_a_problem(monkeypatch):
    assert fields(configuration_problems(Settings(engine="modal"))) == ["OMTX_ENGINE"]
    assert configuration_problems(Settings(engine="auto")) == []  # auto falls back to a local boltz
    monkeypatch.setenv("MODAL_TOKEN_ID", "ak-1")
    monkeypatch.setenv("MODAL_TOKEN_SECRET", "as-1")
    assert configuration_problems(Settings(engine="modal")) == []


def test_sign_in_needs_a_provider_admitted_users_and_on_supabase_the_jwt_secret():
    supabase = {"store": "supabase", "supabase_url": "https://p.supabase.co", "supabase_key": jwt({"role": "anon"})}
    settings = Settings(auth="oidc", **{**supabase, "supabase_key": jwt({"role": "service_role"})})
    assert fields(configuration_problems(settings)) == [
        "[auth]", "OMTX_ALLOWED_EMAILS", "OMTX_SUPABASE_JWT_SECRET", "OMTX_SUPABASE_ANON_KEY"]  # fmt: skip
    partial = configuration_problems(settings, auth_section={"client_id": "x"})
    assert "lacks redirect_uri, cookie_secret, client_secret, server_metadata_url" in partial[0].message
    ready = settings.model_copy(update={"admin_emails": "boss@lab.example", "supabase_jwt_secret": "s" * 40,
                                        "supabase_anon_key": jwt({"role": "anon"})})  # fmt: skip
    assert configuration_problems(ready, auth_section=AUTH) == []


def test_a_redis_url_must_be_redis():
    assert fields(configuration_problems(Settings(redis_url="http://cache:6379"))) == ["OMTX_REDIS_URL"]
    assert configuration_problems(Settings(redis_url="rediss://:pw@cache:6379/0")) == []


def test_config_check_prints_the_settings_with_secrets_hidden_and_exits_1_on_problems(tmp_path, monkeypatch, capsys):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'OMTX_STORE = "supabase"\nOMTX_SUPABASE_KEY = "{SECRET}"\n'
                       'OMTX_REDIS_URL = "redis://:hunter2@cache:6379/0"\nOMTX_AUTH = "oidc"\n')  # fmt: skip
    assert cli.main(["config", "check", "--secrets", str(secrets)]) == 1
    out = capsys.readouterr().out
    assert SECRET not in out and "hunter2" not in out
    assert "OMTX_SUPABASE_KEY" in out and "set (hidden)  [secrets.toml]" in out and "redis://:****@cache" in out
    assert "OMTX_SUPABASE_URL:" in out and "[auth]:" in out and "OMTX_ALLOWED_EMAILS:" in out


def test_config_check_passes_on_a_sound_configuration(tmp_path, capsys):
    secrets = tmp_path / "secrets.toml"
    auth = "\n".join(f'{key} = "{value}"' for key, value in AUTH.items())
    secrets.write_text(f'OMTX_AUTH = "oidc"\nOMTX_ALLOWED_DOMAINS = "lab.example"\n[auth]\n{auth}\n')
    assert cli.main(["config", "check", "--secrets", str(secrets)]) == 0
    assert "No problems found." in capsys.readouterr().out


def test_a_damaged_secrets_file_is_named_without_its_content(tmp_path, capsys):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'OMTX_SUPABASE_KEY = "{SECRET}\n')
    assert cli.main(["config", "check", "--secrets", str(secrets)]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert "cannot be read as TOML" in err and SECRET not in err and "configuration_invalid" in err
