"""`python -m omtx_core api [--host] [--port]`: serve the REST API with uvicorn over the configured store."""

from __future__ import annotations

import argparse

DEFAULT_HOST = "127.0.0.1"  # this machine only: serving a network is a choice (--host 0.0.0.0)
DEFAULT_PORT = 8000


def add_api_command(commands: argparse._SubParsersAction) -> None:
    api = commands.add_parser("api", help="serve the REST API (/api/v1, docs at /docs) with uvicorn")
    api.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    api.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    api.set_defaults(handler=_serve)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is outside 0–65,535")
    return value


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from omtx_core.api.app import create_app

    app = create_app(args.ctx.settings)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)  # our logging setup (text or JSON) stays
    return 0
