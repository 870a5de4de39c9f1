"""Redis for tests: the machine's server on 127.0.0.1:6379 if it answers, else one started on a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_url() -> tuple[str, subprocess.Popen | None]:
    """(URL, process we started or None); fails plainly when there is no Redis to use or start."""
    if _answers(6379):
        return "redis://127.0.0.1:6379/15", None
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("No Redis on 127.0.0.1:6379 and no redis-server to start (apt-get install redis-server).")
    port = _free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while not _answers(port):
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0", process
