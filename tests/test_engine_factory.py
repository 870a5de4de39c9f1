"""OMTX_ENGINE picks the engine: Modal when configured, else the local boltz, else none (jobs wait)."""

from __future__ import annotations

import pytest

from omtx_core.config import Settings
from omtx_core.engines.factory import UnavailableEngine, make_engine
from tests.fake_boltz_env import FAKE_BOLTZ_COMMAND


@pytest.fixture(autouse=True)
def no_modal(monkeypatch, tmp_path):
    for name in ("MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET", "MODAL_CONFIG_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def settings(tmp_path, **fields) -> Settings:
    return Settings(data_dir=tmp_path, boltz_accelerator="gpu", **fields)


def test_auto_without_anything_leaves_jobs_waiting(tmp_path):
    engine = make_engine(settings(tmp_path, boltz_command=str(tmp_path / "missing")))
    assert isinstance(engine, UnavailableEngine) and "No compute engine" in engine.unavailable_reason()


def test_auto_finds_a_local_boltz(tmp_path):
    engine = make_engine(settings(tmp_path, boltz_command=FAKE_BOLTZ_COMMAND))
    assert engine.name == "local" and engine.unavailable_reason() is None


def test_auto_prefers_modal_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("MODAL_TOKEN_ID", "ak-test")
    monkeypatch.setenv("MODAL_TOKEN_SECRET", "as-test")
    assert make_engine(settings(tmp_path, boltz_command=FAKE_BOLTZ_COMMAND)).name == "modal"


def test_an_explicit_choice_is_kept_and_explains_itself(tmp_path):
    local = make_engine(settings(tmp_path, engine="local", boltz_command=str(tmp_path / "missing")))
    assert local.name == "local" and "OMTX_BOLTZ_COMMAND" in local.unavailable_reason()
    modal = make_engine(settings(tmp_path, engine="modal"))
    assert modal.name == "modal" and "MODAL_TOKEN_ID" in modal.unavailable_reason()
