"""Short-lived Supabase tokens for a signed-in user, so row-level security acts for that user; never logged."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.domain.job import utcnow
from omtx_core.errors import ConfigurationError

ROLE = "authenticated"  # the role and audience Supabase Auth gives a signed-in user's access token
ISSUER = "omtx-hub"
REFRESH_MARGIN_S = 300  # mint a new token once fewer seconds than this remain
_SECRET_HINT = (
    "Set OMTX_SUPABASE_JWT_SECRET to the project's JWT secret: Supabase dashboard → Project Settings → API "
    "(JWT Keys → Legacy JWT secret on newer projects). Keep it out of the browser and of any repository."
)


def mint_user_token(settings: Settings, identity: Identity, now: datetime) -> str:
    """An HS256 JWT as Supabase Auth issues it for a signed-in user, valid `user_token_ttl_s` seconds from `now`."""
    import jwt

    secret = settings.supabase_jwt_secret.get_secret_value() if settings.supabase_jwt_secret else ""
    if not secret:
        raise ConfigurationError("Signed-in users on the Supabase store need the project's JWT secret.", _SECRET_HINT)
    issued = int(now.timestamp())
    claims = {
        "iss": ISSUER,
        "sub": identity.owner,
        "aud": ROLE,
        "role": ROLE,
        "iat": issued,
        "exp": issued + settings.user_token_ttl_s,
        "email": identity.email,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class UserTokens:
    """The current token for one user, minted again when it is about to run out (asked before every request)."""

    def __init__(self, settings: Settings, identity: Identity, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings, self.identity, self.clock = settings, identity, clock
        # Never more than half a token's life, so a short TTL still leaves each token some use.
        self.margin = min(REFRESH_MARGIN_S, settings.user_token_ttl_s // 2)
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0  # POSIX seconds
        self.minted = 0  # how many tokens this holder made (for tests and diagnostics; never the tokens)

    def __call__(self) -> str:
        now = self.clock()
        with self._lock:
            if not self._token or now.timestamp() >= self._expires - self.margin:
                self._token = mint_user_token(self.settings, self.identity, now)
                self._expires = int(now.timestamp()) + self.settings.user_token_ttl_s
                self.minted += 1
            return self._token

    def __repr__(self) -> str:  # the token is a credential: never in a repr, a log line or a traceback's locals
        return f"UserTokens(owner={self.identity.owner!r}, minted={self.minted})"


class TokenHeaders:
    """An httpx request hook that puts the current token on each request, whatever headers it was built with."""

    def __init__(self, token: Callable[[], str], api_key: str | None = None) -> None:
        self.token = token
        self.api_key = api_key  # the project's anon key, which Supabase's gateway wants as `apikey`; else the token

    def __call__(self, request: Any) -> None:
        current = self.token()
        request.headers["apikey"] = self.api_key or current
        request.headers["Authorization"] = f"Bearer {current}"
