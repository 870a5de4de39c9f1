"""A redis-server of a test's own, on a free port, for outages and flushes the shared Redis must never suffer."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """`url` of a fresh, empty Redis; `down()` stops it (refusing connections) and starts it again with its data;
    `paused()` freezes the process (connections hang); `flush()` empties it."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server).")
        self.folder = tempfile.TemporaryDirectory(prefix="omtx-redis-")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen([self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                         "--appendonly", "no", "--dir", self.folder.name],
                                        stdout=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 10
        while not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def flush(self) -> None:
        with self.client() as client:
            client.flushdb()

    @contextmanager
    def down(self) -> Iterator[None]:
        """Nothing listens inside the block (commands never arrive); then the same server, data kept, is back."""
        with self.client() as client:
            client.shutdown(save=True)  # writes dump.rdb, which the restarted server loads
        self.process.wait(10)
        try:
            yield
        finally:
            self._start()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Redis stops answering (connections and reads time out) inside the block, and resumes with its data."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)
        self.folder.cleanup()
