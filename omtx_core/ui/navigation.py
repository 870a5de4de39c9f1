"""Keeps every page inside app.py's navigation, even when a page's URL is a fresh server's first request."""

from __future__ import annotations

import streamlit as st


def inside_app() -> None:
    """Call first on every page. A folder named `pages/` beside app.py makes Streamlit start in its old
    folder mode: until some session runs app.py (and so `st.navigation`), a page opened by URL runs alone,
    with a sidebar of file names and none of app.py's layout. Leaving that mode and rerunning lets app.py
    draw the navigation around the same page (same URL path, same query parameters)."""
    from streamlit.runtime.pages_manager import PagesManager  # the mode flag has no public switch

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
