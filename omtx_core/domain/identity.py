"""Who is acting: resolved once per caller (app session, CLI run, API request) and passed down to every job."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

from omtx_core.errors import ConfigurationError

LOCAL_OWNER = "local"  # the one user of a deployment without sign-in (the embedded default)
_SECRET_KEY_PREFIX = "sb_secret_"  # Supabase's newer API keys: secret keys act as service_role ...
_PUBLISHABLE_KEY_PREFIX = "sb_publishable_"  # ... and publishable keys as anon
_KEY_HINT = "Use a signed-in user's JWT for the app, or the service-role key for workers and admin tools."


@dataclass(frozen=True)
class Identity:
    """The owner of the jobs a caller submits, and whether they may see and act on everyone's jobs."""

    owner: str
    sees_all: bool = False  # the service-role key (workers, admin tools) or an admin: every owner's jobs
    admin: bool = False  # may see the System page and the deployment's configuration
    email: str = ""  # a signed-in user's address, for display

    def __post_init__(self) -> None:
        if not self.owner:
            raise ValueError("an identity needs an owner")

    def may_see(self, job_owner: str) -> bool:
        return self.sees_all or job_owner == self.owner

    @property
    def owner_filter(self) -> str | None:
        """The owner to narrow job lists to; None when the caller sees every owner's jobs."""
        return None if self.sees_all else self.owner


LOCAL_USER = Identity(LOCAL_OWNER, admin=True)  # without sign-in, whoever runs the app runs all of it


def owner_id(issuer: str, subject: str) -> str:
    """A signed-in user's owner id: a UUID from the provider and its subject (Supabase's auth.uid() is a uuid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}#{subject}"))


def identity_for(store: str, supabase_key: str | None = None, *, signed_in_user: str | None = None) -> Identity:
    """The caller's identity: the signed-in user; else, on Supabase, whoever the key speaks for; else the local user.

    A user's JWT acts as its `sub` (row-level security lets it see that user's jobs only); the service-role key
    acts as the local user but sees every job. An anon or publishable key can read and write no job at all.
    """
    if signed_in_user:
        return Identity(signed_in_user)
    if store == "sqlite" or not supabase_key:
        return LOCAL_USER
    return identity_from_supabase_key(supabase_key)


def identity_from_supabase_key(key: str) -> Identity:
    """The identity a Supabase key acts with, from its claims (read, not verified: Supabase verifies them)."""
    if key.startswith(_SECRET_KEY_PREFIX):
        return Identity(LOCAL_OWNER, sees_all=True)
    if key.startswith(_PUBLISHABLE_KEY_PREFIX):
        raise ConfigurationError("OMTX_SUPABASE_KEY is a publishable (anon) key, which can see no jobs.", _KEY_HINT)
    claims = jwt_claims(key)
    role = claims.get("role")
    if role == "service_role":
        return Identity(LOCAL_OWNER, sees_all=True)
    if role == "authenticated" and isinstance(claims.get("sub"), str) and claims["sub"]:
        return Identity(claims["sub"])
    raise ConfigurationError(f"OMTX_SUPABASE_KEY acts as {role or 'no role'}, which can see no jobs.", _KEY_HINT)


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT as a dict; ConfigurationError (never showing the token) when it is not one."""
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ConfigurationError("OMTX_SUPABASE_KEY is not a Supabase key (a JWT).", _KEY_HINT) from exc
    if not isinstance(claims, dict):
        raise ConfigurationError("OMTX_SUPABASE_KEY is not a Supabase key (a JWT).", _KEY_HINT)
    return claims
