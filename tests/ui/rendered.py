"""The Markdown strings an AppTest run sent to the browser, and what in them would render as more than text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

# Proto fields that Streamlit renders as Markdown: bodies of text elements and alerts, labels, tooltips, captions.
MARKDOWN_FIELDS = {"body", "label", "help", "caption", "captions"}
# Elements whose `body` is shown verbatim (code, JSON) or that hold no Markdown at all.
VERBATIM = {"code", "json", "arrow_data_frame", "dataframe", "iframe", "plotly_chart", "text", "exception"}
# Radio and pill options are Markdown too; a selectbox's options are plain text.
MARKDOWN_OPTIONS = {"radio", "button_group"}

ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")  # a backslash before ASCII punctuation makes it a literal character
WORD_JOINER = "\u2060"
# Markup an attacker's text must never become, looked for where escaped characters are masked out.
_MARKUP = {
    "link or image": re.compile(r"\]\(|!\[|\]\["),
    "HTML tag": re.compile(r"<[A-Za-z/!?]"),
    "colour directive": re.compile(r":red\["),
    "LaTeX": re.compile(r"\$x\$"),
    "bold": re.compile(r"\*\*bold\*\*"),
}
# Streamlit rewrites `:material/` to `:material_` in the raw string, before any escape is read.
_RAW = {"Material icon": re.compile(r":material/")}
# Found by Streamlit's renderer in the text after escapes are resolved (GFM autolinks, emoji and icon shortcodes).
_TEXT = {
    "autolinked URL": re.compile(r"(?i)(https?://|www\.)evil"),
    "autolinked e-mail": re.compile(r"@evil\."),
    "shortcode": re.compile(r":[\w+-]+:"),
}


def markdown_strings(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every Markdown-rendered string on the page, sidebar included."""
    for node in at._tree:
        proto, kind = getattr(node, "proto", None), getattr(node, "type", "")
        if proto is None or kind in VERBATIM or not hasattr(proto, "ListFields"):
            continue
        for field, value in proto.ListFields():
            if field.name in MARKDOWN_FIELDS or (field.name == "options" and kind in MARKDOWN_OPTIONS):
                yield from ((kind, text) for text in ([value] if isinstance(value, str) else value) if text)


def hazards(markdown: str) -> list[str]:
    """What in one Markdown string would render as a link, image, tag, directive, icon, formula or autolink."""
    masked = ESCAPED.sub("\0", markdown)
    found = [name for name, pattern in _MARKUP.items() if pattern.search(masked)]
    found += [name for name, pattern in _RAW.items() if pattern.search(markdown)]
    return found + [name for name, pattern in _TEXT.items() if pattern.search(resolved(markdown))]


def resolved(markdown: str) -> str:
    """The text nodes Streamlit's renderer works on: escapes resolved, word joiners kept."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def as_text(markdown: str) -> str:
    """The characters a reader sees once escapes are resolved (word joiners are invisible)."""
    return resolved(markdown).replace(WORD_JOINER, "")


def page_hazards(at: AppTest) -> list[tuple[str, str, list[str]]]:
    """Every Markdown string on the page that would render as more than its text."""
    return [(kind, text, found) for kind, text in markdown_strings(at) if (found := hazards(text))]


def shown(at: AppTest) -> str:
    """All Markdown-rendered text of the page as a reader sees it, one string per line."""
    return "\n".join(as_text(text) for _, text in markdown_strings(at))
