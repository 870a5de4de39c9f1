"""The app builds its boundaries once from its own settings: Streamlit secrets reach them, and who is acting."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.ui.rendered import as_text

APP = Path(__file__).resolve().parents[2] / "app.py"


def test_secrets_reach_the_settings_the_pages_use():
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["OMTX_MAX_TOKENS"] = 900
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("900 tokens" in caption.value for caption in at.sidebar.caption)


def test_a_bad_secret_is_named_on_the_page_not_shown():
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["OMTX_MAX_TOKENS"] = "many-tokens"
    at.run()
    shown = " ".join(as_text(e.value) for e in at.error)  # messages are shown as text (Markdown-escaped)
    assert "OMTX_MAX_TOKENS" in shown and "many-tokens" not in shown
