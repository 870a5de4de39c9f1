"""Settings: every one is described in code and listed in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from omtx_core.config import Settings, get_settings
from omtx_core.engines.modal import ModalSettings
from omtx_core.errors import ConfigurationError

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize(("settings", "prefix"), [(Settings, "OMTX_"), (ModalSettings, "OMTX_MODAL_")])
def test_every_setting_has_a_description_and_is_in_the_readme(settings, prefix):
    readme = README.read_text(encoding="utf-8")
    for name, field in settings.model_fields.items():
        assert field.description, name
        assert f"`{prefix}{name.upper()}`" in readme, f"README lacks {prefix}{name.upper()}"


def test_settings_read_from_environment(monkeypatch):
    monkeypatch.setenv("OMTX_MAX_TOKENS", "900")
    assert Settings().max_tokens == 900


def test_invalid_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("OMTX_MAX_TOKENS", "lots")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="OMTX_MAX_TOKENS"):
            get_settings()
    finally:
        get_settings.cache_clear()
