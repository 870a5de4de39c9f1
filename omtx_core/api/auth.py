"""Who calls the API: the `caller` dependency reads an API key (Bearer or X-API-Key) and answers 401 without one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from omtx_core.api.keys import KeyStore, open_key_store, verify_key
from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_USER, Identity
from omtx_core.domain.job import utcnow

log = logging.getLogger(__name__)
KEY_HEADER = "X-API-Key"
_opening = threading.Lock()


class Unauthorized(HTTPException):
    """No key, or one that is unknown or revoked: 401 in the API's error shape (its handler: `install_auth`)."""

    code = "unauthorized"

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(401, detail=message, headers={"WWW-Authenticate": "Bearer"})
        self.message = message
        self.hint = hint


def unauthorized_response(exc: Unauthorized) -> JSONResponse:
    body = {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def install_auth(
    app: FastAPI, settings: Settings, *, keys: KeyStore | None = None, clock: Callable[[], datetime] = utcnow
) -> None:
    """Give `caller` what it reads from the app (settings, key store, clock) and answer Unauthorized as 401."""
    app.state.settings = settings
    app.state.key_store = keys
    app.state.auth_clock = clock

    async def _unauthorized(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Unauthorized)
        return unauthorized_response(exc)

    app.add_exception_handler(Unauthorized, _unauthorized)


def presented_key(request: Request) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>`, else `X-API-Key: <key>`; None when neither."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get(KEY_HEADER, "").strip() or None


def caller(request: Request) -> Identity:
    """The identity a request acts with: its key's owner; without a key the local user if OMTX_API_OPEN, else 401.

    A key given in open mode still decides (a wrong one is refused). The key itself is never logged or echoed.
    """
    settings: Settings = request.app.state.settings
    token = presented_key(request)
    if token is None:
        if settings.api_open:
            return LOCAL_USER
        raise Unauthorized(
            "This request carries no API key.",
            "Send `Authorization: Bearer <key>` (or `X-API-Key: <key>`); make a key with "
            "`python -m omtx_core keys create --owner <owner id>`.",
        )
    key = verify_key(_key_store(request), token, clock=getattr(request.app.state, "auth_clock", utcnow))
    if key is None:
        log.info("API request refused: unknown or revoked key")  # never the key, not even its id
        raise Unauthorized(
            "The API key is not valid: it is unknown or has been revoked.",
            "Check that the whole key was copied; `python -m omtx_core keys list` shows which keys are active.",
        )
    return key.identity


def _key_store(request: Request) -> KeyStore:
    state = request.app.state
    if getattr(state, "key_store", None) is None:
        with _opening:
            if getattr(state, "key_store", None) is None:
                state.key_store = open_key_store(state.settings)
    return state.key_store
