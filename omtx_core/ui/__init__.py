"""Streamlit-aware rendering for OMTX-Hub pages: error display, shared form widgets, plan previews."""
