"""Modal engine fixtures: real Modal unreachable, a weights cache for the remote body, and the fake Modal."""

from __future__ import annotations

import os
from pathlib import Path

import modal
import modal.client
import pytest

from tests.fake_boltz_env import FAKE_BOLTZ_COMMAND
from tests.modal_engine.fake_modal import WEIGHTS, FakeModal


@pytest.fixture(autouse=True)
def no_real_modal(monkeypatch, tmp_path):
    """No credentials, no ~/.modal.toml, and any real Modal lookup or client fails the test at once."""
    for key in list(os.environ):
        if key.startswith(("MODAL_", "OMTX_MODAL_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def refuse(*args, **kwargs):
        pytest.fail("a test reached for the real Modal service")

    monkeypatch.setattr(modal.Function, "from_name", refuse)
    monkeypatch.setattr(modal.FunctionCall, "from_id", refuse)
    monkeypatch.setattr(modal.client._Client, "from_env", refuse)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A model cache holding empty files named like Boltz-2's weights (the stand-in never reads them)."""
    path = tmp_path / "models"
    (path / "mols").mkdir(parents=True)
    for name in WEIGHTS:
        (path / name).write_bytes(b"")
    monkeypatch.setenv("OMTX_BOLTZ_CACHE", str(path))
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", FAKE_BOLTZ_COMMAND)
    return path


@pytest.fixture
def record(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "boltz-calls.jsonl"
    monkeypatch.setenv("FAKE_BOLTZ_RECORD", str(path))
    return path


@pytest.fixture
def fake(cache, record):
    fake = FakeModal()
    yield fake
    for call in fake.calls.values():  # leave no gated thread behind
        call.cancel()
        call.thread.join(30)
