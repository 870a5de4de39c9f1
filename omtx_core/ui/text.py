"""User-supplied text made inert for Streamlit's Markdown (titles, labels, alerts, captions) and plotly labels."""

from __future__ import annotations

import html
import re

from omtx_core.tasks.base import is_hidden

# Characters Streamlit's Markdown (GFM, LaTeX, `:directive[...]`, emphasis, HTML, entities) reads as syntax;
# a backslash before an ASCII punctuation character always makes it literal.
_SYNTAX = re.compile(r"([\\`*_\[\](){}#+\-.!|<>&~$:])")
# Streamlit also finds patterns in the text *after* escapes are resolved: GFM autolinks (`https://`, `www.`,
# e-mail), emoji and Material-icon shortcodes (`:smile:`, `:material_home:`) and typographic arrows (` -> `).
# An invisible word joiner placed inside each pattern breaks it without changing what the reader sees.
_WORD_JOINER = "\u2060"
_BREAK_AFTER = re.compile(r"(?<=:)(?=[\w+/-])|(?<=@)(?=[\w.+-])|(?i:(?<=www)(?=\.))")
_ARROWS = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")


def plain(value: object) -> str:
    """`value` as Markdown that shows exactly its text on one line: no link, image, tag, icon, formula or list.

    Whitespace runs (newlines included) become one space, so a name can never start a heading, list, table or
    code block; control and invisible characters (stored by an older version) are shown as `\\uXXXX`; every
    Markdown-significant character is backslash-escaped.
    """
    text = " ".join(("" if value is None else str(value)).split())
    text = "".join(f"\\u{ord(char):04X}" if is_hidden(char) else char for char in text)  # shown, not obeyed
    text = _ARROWS.sub(lambda match: match[0][0] + _WORD_JOINER + match[0][1:], text)
    text = _BREAK_AFTER.sub(_WORD_JOINER, text)
    return _SYNTAX.sub(r"\\\1", text)


def plot_text(value: object) -> str:
    """`value` for a plotly label or hover text, where `<a href>`, `<b>` and entities would otherwise be markup."""
    return html.escape("" if value is None else str(value))
