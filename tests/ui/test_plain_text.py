"""`plain` turns any user string into Markdown that Streamlit shows as exactly that text, and nothing more."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omtx_core.tasks.base import is_hidden
from omtx_core.ui.text import plain, plot_text
from tests.ui.rendered import ESCAPED, WORD_JOINER, as_text, hazards, resolved

ATTACKS = [
    "[click](https://evil.example)",
    "![x](https://evil.example/p.png)",
    "[x][ref]\n\n[ref]: https://evil.example",
    "<https://evil.example>",
    "https://evil.example/path and www.evil.example and a@evil.example",
    "**bold** __b__ *i* _i_ ~~s~~ `code`",
    ":red[x] :blue-background[y] :green-badge[z] :help[tip] :small[s] :color[c]{foreground=red}",
    ":material/home: :material_home: :smile: :+1: :streamlit:",
    "<b>x</b> <img src=https://evil.example/p.png> &lt;b&gt; &#91;",
    "$x$ $$\\frac{1}{2}$$",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "    indented code",
    "a | b\n--|--\nc | d",
    "line one\n\nline two\n===",
    "A -> B <- C <-> D -- E >= F <= G ~= H",
    "trailing backslash \\",
]
# What Streamlit's Markdown treats as syntax in running text; everything else is shown as it is.
SIGNIFICANT = set("\\`*_[]()#+-.!|<>&~$:")
# Found in the text after escapes are resolved: GFM autolinks, shortcodes (emoji, icons), typographic arrows.
TEXT_PATTERNS = re.compile(r"(?i)https?:/|www\.|@[\w.-]|:[\w+/-]|(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)")


def words(text: str) -> str:
    return " ".join(text.replace(WORD_JOINER, "").split())


def shown(text: str) -> str:
    """What a reader sees of any text: its words, with control and invisible characters written as `\\uXXXX`."""
    return "".join(f"\\u{ord(char):04X}" if is_hidden(char) else char for char in " ".join(text.split()))


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_render_as_their_own_text(attack):
    markdown = plain(attack)
    assert hazards(markdown) == [] and not TEXT_PATTERNS.search(resolved(markdown))
    assert as_text(markdown) == words(attack)
    assert "\n" not in markdown  # one line: no block (heading, list, quote, table, code) can start


@given(st.text())
def test_any_text_reads_back_and_has_no_live_syntax(text):
    markdown = plain(text)
    assert as_text(markdown) == shown(text)
    assert not SIGNIFICANT & set(ESCAPED.sub("", markdown))  # every significant character is escaped
    assert not TEXT_PATTERNS.search(resolved(markdown))


def test_ordinary_names_stay_readable():
    assert plain("Human ubiquitin") == "Human ubiquitin"
    assert plain("ABL1 kinase + imatinib") == "ABL1 kinase \\+ imatinib"
    assert plain(None) == "" and plain(42) == "42"


def test_plot_text_is_inert_in_plotly_labels():
    assert plot_text('<a href="https://evil.example">x</a> & <b>') == (
        "&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt; &amp; &lt;b&gt;"
    )
