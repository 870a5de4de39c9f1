"""The Supabase test server: PostgREST and Storage stand-ins on 127.0.0.1 over one PostgreSQL database."""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.supabase_server.common import Pool, free_port, make_token
from tests.supabase_server.rest import RestApi
from tests.supabase_server.storage import StorageApi

Handler = Callable[[Request], Awaitable[Response]]


class SupabaseTestServer:
    """PostgREST + Storage stand-in on 127.0.0.1; `url`, `service_key`, `anon_key`, `user_key(sub)`.

    The database must look like a Supabase project (tests/pg.py `create_supabase_database`): Storage's buckets
    and objects live in its `storage` schema, the bytes under `storage_dir` (a temporary folder by default).
    """

    def __init__(self, conninfo: str, *, secret: str | None = None, storage_dir: Path | None = None, port: int = 0,
                 pool_size: int = 10) -> None:  # fmt: skip
        self.secret = secret or secrets.token_urlsafe(32)
        self.host, self.port = "127.0.0.1", port or free_port()
        self._tmp = None if storage_dir else tempfile.TemporaryDirectory(prefix="omtx-storage-")
        self.storage_dir = Path(storage_dir or self._tmp.name)
        self._pool = Pool(conninfo, pool_size)
        self.rest = RestApi(self._pool, self.secret)
        self.storage = StorageApi(self._pool, self.secret, self.storage_dir)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.requests = 0
        rest, files, obj = self._counted(self.rest.handle), self._counted(self.storage.handle), "/storage/v1/object"
        self.app = Starlette(routes=[
            Route("/rest/v1/rpc/{function}", rest, methods=["GET", "POST"]),
            Route("/rest/v1/{table}", rest, methods=["GET", "HEAD", "POST", "PATCH", "DELETE"]),
            Route(obj + "/list/{bucket}", files, methods=["POST"]),
            Route(obj + "/info/{bucket}/{path:path}", files, methods=["GET"]),
            Route(obj + "/authenticated/{bucket}/{path:path}", files, methods=["GET", "HEAD"]),
            Route(obj + "/{bucket}/{path:path}", files, methods=["GET", "HEAD", "POST", "PUT"]),
            Route(obj + "/{bucket}", files, methods=["DELETE"]),
        ])  # fmt: skip

    def _counted(self, handler: Handler) -> Handler:
        async def counted(request: Request) -> Response:
            self.requests += 1
            return await handler(request)

        return counted

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def token(self, role: str, sub: str | None = None, **claims: Any) -> str:
        return make_token(self.secret, role, sub, **claims)

    @property
    def service_key(self) -> str:
        return self.token("service_role")

    @property
    def anon_key(self) -> str:
        return self.token("anon")

    def user_key(self, sub: str) -> str:
        return self.token("authenticated", sub, aud="authenticated")

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> SupabaseTestServer:
        if self._server is not None:
            return self
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=2)  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"supabase-test-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"The Supabase test server could not listen on {self.url}.")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop listening (the port refuses connections); `start()` listens again on the same port."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(15)
            self._server = self._thread = None

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        """A Supabase outage: nothing listens on the port inside the block; the same server answers after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def close(self) -> None:
        self.stop()
        self._pool.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def clear_storage(self) -> None:
        """Empty every bucket (the buckets themselves stay)."""
        self.storage.clear()

    def __enter__(self) -> SupabaseTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
