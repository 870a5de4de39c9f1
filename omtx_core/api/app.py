"""`create_app(settings)`: the REST API's FastAPI application, a thin layer over the caller's JobService."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.domain.job import utcnow
from omtx_core.jobs.service import JobService

if TYPE_CHECKING:
    from omtx_core.api.keys import KeyStore

API_PREFIX = "/api/v1"
GZIP_MIN_BYTES = 1000  # below this, compressing costs more than it saves


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow, keys: KeyStore | None = None) -> FastAPI:
    """The API over the stores the settings name, opened once for the process; each request acts as its caller.

    `app.state` holds `settings` (read by the `caller` dependency) and `service_for(identity)`, the caller's
    JobService: on Supabase a key owner's service acts with a token minted for that owner, so RLS holds.
    """
    from omtx_core.api.auth import install_auth
    from omtx_core.api.errors import ERROR_RESPONSES, install_error_handlers
    from omtx_core.api.routes_files import router as files_router
    from omtx_core.api.routes_jobs import router as jobs_router
    from omtx_core.api.routes_ops import router as ops_router
    from omtx_core.cache import open_hot_cache
    from omtx_core.store.factory import open_stores, open_stores_for

    stores = open_stores(settings)  # fails early on a bad store setting, before serving anything
    hot = open_hot_cache(settings)

    def service_for(identity: Identity) -> JobService:
        store, artifacts = stores if settings.store == "sqlite" else open_stores_for(settings, identity, clock=clock)
        return JobService(settings=settings, store=store, artifacts=artifacts, identity=identity, hot=hot, clock=clock)

    app = FastAPI(
        title="OMTX-Hub API",
        version="1",
        description="Boltz-2 predictions: submit jobs, follow them, read results and files. Send your API key as "
        "`Authorization: Bearer <key>` or `X-API-Key: <key>`.",
        responses={status: ERROR_RESPONSES[status] for status in (400, 401, 422, 500, 503)},
    )
    app.state.stores, app.state.service_for, app.state.clock = stores, service_for, clock
    install_auth(app, settings, keys=keys, clock=clock)  # app.state.settings, read by the `caller` dependency
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    install_error_handlers(app)
    for router in (jobs_router, files_router, ops_router):
        app.include_router(router, prefix=API_PREFIX)
    return app
