"""Settings: every one is described in code, listed in the README and read by the product."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from omtx_core.config import Settings, load_settings
from omtx_core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CONFIG = ROOT / "omtx_core" / "config.py"


def _product_modules() -> list[Path]:
    """Where settings are read: the app, its pages and omtx_core, but not config.py, which only declares them."""
    modules = [*(ROOT / "omtx_core").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    return sorted(path for path in modules if path != CONFIG)


def _attributes_read(source: str) -> set[str]:
    """Names used as `<something>.<name>` in code: comments, strings and docstrings mentioning a field do not count."""
    return {node.attr for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)}


def test_every_setting_has_a_description_and_is_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"`OMTX_{name.upper()}`" in readme, f"README lacks OMTX_{name.upper()}"


def test_every_setting_is_read_somewhere_in_the_product():
    read = set().union(*(_attributes_read(path.read_text(encoding="utf-8")) for path in _product_modules()))
    unread = sorted(set(Settings.model_fields) - read)
    assert not unread, f"settings nothing reads (remove them or use them): {unread}"


def test_a_setting_counts_as_read_only_through_an_attribute():
    source = '# settings.max_tokens\n"""lease_s"""\nlimit = runtime.settings.max_tokens\nx = getattr(s, "engine")\n'
    assert _attributes_read(source) == {"settings", "max_tokens"}


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
