"""Settings: every one is described in code and listed in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from omtx_core.config import Settings, load_settings
from omtx_core.errors import ConfigurationError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_has_a_description_and_is_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"`OMTX_{name.upper()}`" in readme, f"README lacks OMTX_{name.upper()}"


def test_settings_read_from_environment(monkeypatch):
    monkeypatch.setenv("OMTX_MAX_TOKENS", "900")
    assert Settings().max_tokens == 900


def test_invalid_setting_names_the_variable_not_its_value(monkeypatch):
    monkeypatch.setenv("OMTX_MAX_TOKENS", "lots-of-tokens")
    with pytest.raises(ConfigurationError, match="OMTX_MAX_TOKENS") as refused:
        load_settings()
    assert "lots-of-tokens" not in str(refused.value)


def test_values_passed_in_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("OMTX_MAX_TOKENS", "900")
    secrets = {"OMTX_MAX_TOKENS": 1200, "OMTX_NOT_A_SETTING": "x", "MODAL_TOKEN_ID": "ignored"}
    assert load_settings(secrets).max_tokens == 1200
    assert load_settings().max_tokens == 900
