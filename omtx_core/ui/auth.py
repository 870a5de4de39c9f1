"""Sign-in (Streamlit's OpenID Connect login): who is using the app, who is admitted, and the sidebar's user box."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NoReturn

import streamlit as st

from omtx_core.config import Settings, csv_items
from omtx_core.config_check import auth_section_problems
from omtx_core.domain.identity import Identity, owner_id
from omtx_core.errors import ConfigurationError
from omtx_core.ui.errors import show_error
from omtx_core.ui.text import plain

_AUTH_HINT = (
    "Add an [auth] section to .streamlit/secrets.toml with redirect_uri, cookie_secret, client_id, client_secret "
    "and server_metadata_url (README, Team deployment › Sign-in), or set OMTX_AUTH=none."
)


# ---- pure rules ------------------------------------------------------------------------------------------------
def admitted(email: str, settings: Settings) -> bool:
    """Whether a signed-in address may use the app: listed, in a listed domain, or an admin (nobody when unset)."""
    email = email.strip().lower()
    if not email or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1]
    listed = csv_items(settings.allowed_emails) + csv_items(settings.admin_emails)
    return email in listed or domain in csv_items(settings.allowed_domains)


def identity_from_claims(claims: Mapping[str, Any], settings: Settings) -> Identity:
    """The Identity of a signed-in user from their ID token's claims (issuer + subject make the owner id)."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        raise ConfigurationError(
            "The sign-in provider did not say who signed in (no iss or sub claim).",
            "Use an OpenID Connect provider; its ID tokens always carry both.",
        )
    email = _email(claims)
    admin = bool(email) and email in csv_items(settings.admin_emails)
    return Identity(owner_id(issuer, subject), sees_all=admin, admin=admin, email=email)


def _email(claims: Mapping[str, Any]) -> str:
    """The claimed address, lower-cased; none when the provider says it is unverified (anyone could claim it)."""
    if claims.get("email_verified") is False:
        return ""
    return str(claims.get("email") or "").strip().lower()


# ---- the Streamlit side -----------------------------------------------------------------------------------------
def sign_in_required(settings: Settings) -> bool:
    return settings.auth == "oidc"


def session_identity(settings: Settings) -> Identity:
    """The signed-in, admitted user of this session; ConfigurationError when there is none (the gate stops first)."""
    user = _claims()
    if not user.get("is_logged_in"):
        raise ConfigurationError("Nobody is signed in to this session.", "Sign in on the app's home page.")
    identity = identity_from_claims(user, settings)
    if not admitted(identity.email, settings):
        raise ConfigurationError(f"{identity.email or 'This account'} may not use this app.", "Sign in as another.")
    return identity


def gate(sections: Mapping[str, Sequence[Any]]) -> None:
    """With sign-in on, unless an admitted user is signed in: show the sign-in page (or the refusal, or what is
    wrong with the sign-in settings) at every page's address, and stop; else show who it is in the sidebar.
    Without sign-in, nothing. app.py calls it once with its navigation's pages, before `st.navigation`."""
    from omtx_core.ui.resources import runtime  # resources imports this module for the session's identity

    try:
        settings = runtime().settings
    except Exception:  # a bad setting or store: sidebar_status shows why and stops before any page runs
        return
    if not sign_in_required(settings):
        return
    if problems := auth_section_problems(_auth_section()):
        _only(partial(show_error, ConfigurationError(" ".join(problems), _AUTH_HINT)), sections)
    user = _claims()
    if not user.get("is_logged_in"):
        _only(_sign_in_page, sections)
    try:
        identity = identity_from_claims(user, settings)
    except ConfigurationError as exc:
        _only(partial(_problem_page, exc), sections)
    if not admitted(identity.email, settings):
        _only(partial(_refusal_page, identity.email, settings), sections)
    role = "  \nAdmin: sees every job" if identity.admin else ""
    st.sidebar.caption(f"**Signed in as** {plain(identity.email)}{role}  \nUser id (for API keys): `{identity.owner}`")
    _sign_out_button(st.sidebar)


def _only(draw: Callable[[], object], sections: Mapping[str, Sequence[Any]]) -> NoReturn:
    """Draw one page at every page's address, with no navigation, then stop: a link to a job shows the sign-in
    page and nothing of the job (nor Streamlit's "page not found", nor the `pages/` folder's file names)."""
    pages = [page for section in sections.values() for page in section]
    stand_ins = [st.Page(draw, title=page.title, url_path=page.url_path or "home", default=not page.url_path)
                 for page in pages]  # fmt: skip
    st.navigation(stand_ins, position="hidden").run()
    st.stop()


def _sign_in_page() -> None:
    st.title("OMTX-Hub")
    st.write("Sign in to submit Boltz-2 predictions and see your jobs.")
    if st.button("Sign in", type="primary"):
        st.login()


def _problem_page(exc: Exception) -> None:
    show_error(exc)
    _sign_out_button(st)


def _refusal_page(email: str, settings: Settings) -> None:
    st.title("OMTX-Hub")
    who = plain(email) if email else "This account (its provider gave no verified e-mail address)"
    if not (csv_items(settings.allowed_emails) or csv_items(settings.allowed_domains)):
        st.error(
            f"Signed in as {who}, but this deployment has no allowed users configured.  \n"
            "Its operator sets OMTX_ALLOWED_EMAILS or OMTX_ALLOWED_DOMAINS (README, Team deployment › Sign-in)."
        )
    else:
        st.error(f"Signed in as {who}, who may not use this deployment.  \nAsk its operator to admit you, or sign "
                 "out and sign in with another account.")  # fmt: skip
    _sign_out_button(st)


def _sign_out_button(where: Any) -> None:
    if where.button("Sign out", key="omtx-sign-out"):
        st.logout()


def _claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no session context (bare mode): nobody is signed in
        return {}


def _auth_section() -> dict[str, Any] | None:
    try:
        section = st.secrets.get("auth")
    except Exception:  # Streamlit raises when there is no secrets file at all
        return None
    return dict(section) if section else None
