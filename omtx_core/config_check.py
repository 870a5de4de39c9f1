"""Every configuration problem at once (`config check`, the app's start), and the effective settings, secrets hidden."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from omtx_core.config import ENV_PREFIX, Settings, csv_items
from omtx_core.errors import ConfigurationError, Problem

DEFAULT_SECRETS = Path(".streamlit/secrets.toml")
# What Streamlit's login needs in the [auth] section of .streamlit/secrets.toml (one unnamed provider).
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
_SECRETS_HINT = "README, Team deployment; .streamlit/secrets.toml.example shows the layout."


@dataclass(frozen=True)
class Setting:
    """One effective setting as shown to an operator: its variable, its value (secrets hidden), where it came from."""

    variable: str
    value: str
    source: str  # "secrets.toml" | "environment" | "default"


@dataclass(frozen=True)
class ConfigReport:
    """The outcome of a check: the settings (invalid values replaced by defaults), what is wrong, what is in effect."""

    settings: Settings
    problems: list[Problem]
    effective: list[Setting]


def variable(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def read_secrets(path: Path | None = DEFAULT_SECRETS) -> dict[str, Any]:
    """The secrets file as a dict (empty when absent); a damaged file is a ConfigurationError naming it."""
    if path is None or not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        message = f"{path} cannot be read as TOML ({type(exc).__name__})."  # not its text: it holds secrets
        raise ConfigurationError(message, "Fix the file's syntax; " + _SECRETS_HINT) from None


def check_configuration(overrides: Mapping[str, Any] | None = None, auth_section: Any = None) -> ConfigReport:
    """Load the settings like `load_settings` (overrides, then the environment) but collect every invalid variable
    instead of stopping at them, then add every problem `configuration_problems` finds."""
    values = {
        name.removeprefix(ENV_PREFIX).lower(): value
        for name, value in (overrides or {}).items()
        if name.startswith(ENV_PREFIX) and name.removeprefix(ENV_PREFIX).lower() in Settings.model_fields
    }
    problems: list[Problem] = []
    bad: set[str] = set()
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        problems = [_invalid(error) for error in exc.errors()]
        defaults = {name: Settings.model_fields[name].get_default(call_default_factory=True) for name in bad}
        settings = Settings(**{**values, **defaults})  # the rest can still be checked
    problems += configuration_problems(settings, auth_section=auth_section)
    return ConfigReport(settings, problems, effective_settings(settings, overrides or {}, invalid=bad))


def _invalid(error: dict) -> Problem:
    name = variable("_".join(map(str, error["loc"])))
    description = Settings.model_fields.get(str(error["loc"][0]))
    about = description.description if description and description.description else ""
    hint = f"Fix or unset {name}" + (f" ({about})" if about else ".")
    return Problem(name, f"Invalid value: {error['msg']}.", hint)


# Problems the app starts with anyway: jobs are checked, planned and queued, and the sidebar says what to configure.
APP_STARTS_WITH = frozenset({"OMTX_ENGINE"})


def configuration_problems(settings: Settings, *, auth_section: Any = None) -> list[Problem]:
    """Everything wrong with valid-looking settings that keeps the app or a worker from working (pure but for
    looking for Modal's credentials, as the engine does; Modal is never contacted)."""
    return [*_store_problems(settings), *_engine_problems(settings), *_auth_problems(settings, auth_section),
            *_other_problems(settings)]  # fmt: skip


def _store_problems(settings: Settings) -> list[Problem]:
    if settings.store == "sqlite":
        return []
    problems = []
    url = (settings.supabase_url or "").strip()
    if not url:
        problems.append(Problem("OMTX_SUPABASE_URL", f"The {settings.store} store needs the Supabase project URL.",
                                "Set it to https://<project>.supabase.co, or set OMTX_STORE=sqlite."))  # fmt: skip
    elif urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        problems.append(Problem("OMTX_SUPABASE_URL", "The Supabase URL is not an http(s) address.",
                                "Use the project URL, e.g. https://<project>.supabase.co."))  # fmt: skip
    key = settings.supabase_key.get_secret_value().strip() if settings.supabase_key else ""
    if not key:
        problems.append(Problem("OMTX_SUPABASE_KEY", f"The {settings.store} store needs a Supabase key.",
                                "Set OMTX_SUPABASE_KEY: the service-role key for workers and a shared app, a user's "
                                "access token for a per-user app (README, Team deployment on Supabase)."))  # fmt: skip
    else:
        from omtx_core.domain.identity import identity_from_supabase_key

        try:
            identity_from_supabase_key(key)  # refuses anon / publishable keys and keys that are no JWT
        except ConfigurationError as exc:
            problems.append(Problem("OMTX_SUPABASE_KEY", exc.message, exc.hint))
    return problems


def _engine_problems(settings: Settings) -> list[Problem]:
    if settings.engine != "modal":
        return []
    from omtx_core.engines.modal import ModalEngine

    reason = ModalEngine(settings).unavailable_reason()  # looks for the token variables or ~/.modal.toml only
    if reason is None:
        return []
    return [Problem("OMTX_ENGINE", "The Modal engine is chosen (OMTX_ENGINE=modal) but no Modal credentials are set.",
                    "Set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (or run `modal token new`), or set OMTX_ENGINE=auto "
                    "to use a local boltz.")]  # fmt: skip


def _auth_problems(settings: Settings, section: Any) -> list[Problem]:
    if settings.auth != "oidc":
        return []
    hint = f"Configure the OpenID Connect provider in [auth] ({', '.join(AUTH_KEYS)}), or set OMTX_AUTH=none."
    problems = [Problem("[auth]", problem, f"{hint} {_SECRETS_HINT}") for problem in auth_section_problems(section)]
    if not (
        csv_items(settings.allowed_emails) or csv_items(settings.allowed_domains) or csv_items(settings.admin_emails)
    ):
        problems.append(Problem("OMTX_ALLOWED_EMAILS", "Sign-in is on but nobody is admitted: no allowed e-mail "
                                "addresses or domains are set.", "Set OMTX_ALLOWED_EMAILS (addresses) or "
                                "OMTX_ALLOWED_DOMAINS (e.g. lab.example), comma-separated."))  # fmt: skip
    if settings.store != "sqlite" and not settings.supabase_jwt_secret:
        problems.append(Problem("OMTX_SUPABASE_JWT_SECRET", f"Sign-in on the {settings.store} store needs the "
                                "project's JWT secret to act for each user.", "Set OMTX_SUPABASE_JWT_SECRET (Supabase "
                                "dashboard: Project settings › API › JWT secret)."))  # fmt: skip
    if settings.store != "sqlite" and not settings.supabase_anon_key:
        problems.append(Problem("OMTX_SUPABASE_ANON_KEY", f"Sign-in on the {settings.store} store needs the "
                                "project's anon key: Supabase's gateway takes a user's token only beside it.",
                                "Set OMTX_SUPABASE_ANON_KEY (dashboard: Project settings › API keys)."))  # fmt: skip
    return problems


def auth_section_problems(section: Any) -> list[str]:
    """What keeps Streamlit's login from working with this [auth] section (empty when it can work)."""
    if not isinstance(section, Mapping) or not section:
        return ["Sign-in is on (OMTX_AUTH=oidc) but .streamlit/secrets.toml has no [auth] section."]
    missing = [key for key in AUTH_KEYS if not str(section.get(key) or "").strip()]
    problems = [f"The [auth] section of .streamlit/secrets.toml lacks {', '.join(missing)}."] if missing else []
    redirect = str(section.get("redirect_uri") or "")
    if redirect and not redirect.endswith("/oauth2callback"):
        problems.append("The [auth] redirect_uri must be the app's address ending in /oauth2callback.")
    return problems


def _other_problems(settings: Settings) -> list[Problem]:
    problems = []
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in ("redis", "rediss", "unix"):
        problems.append(Problem("OMTX_REDIS_URL", "The Redis URL does not start with redis://, rediss:// or unix://.",
                                "Use e.g. redis://host:6379/0, or unset it (the hot cache is optional)."))  # fmt: skip
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        problems.append(Problem("OMTX_DATA_DIR", f"{settings.data_dir} is a file, not a folder.",
                                "Point OMTX_DATA_DIR at a folder (it is created if missing)."))  # fmt: skip
    return problems


def effective_settings(
    settings: Settings, overrides: Mapping[str, Any] | None = None, *, invalid: set[str] | frozenset[str] = frozenset()
) -> list[Setting]:
    """Every setting, its value as shown to an operator (secrets as `set (hidden)`), and where it came from;
    an `invalid` one (its value refused) says so rather than show the default that stands in for it."""
    rows = []
    for name in Settings.model_fields:
        var = variable(name)
        source = "secrets.toml" if var in (overrides or {}) else "environment" if var in os.environ else "default"
        value = "invalid (see the problems)" if name in invalid else shown_value(getattr(settings, name))
        rows.append(Setting(var, value, source))
    return rows


def shown_value(value: Any) -> str:
    """A setting's value fit to print: secrets hidden whole, a password inside a URL hidden too."""
    if isinstance(value, SecretStr):
        return "set (hidden)" if value.get_secret_value() else "not set"
    if value is None:
        return "not set"
    text = str(value)
    if not text:
        return "(empty)"
    parts = urlsplit(text) if "://" in text else None
    if parts and parts.password:
        text = text.replace(f":{parts.password}@", ":****@", 1)
    return text
