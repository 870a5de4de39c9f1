"""`python -m omtx_core api` serves the API with uvicorn on a real port: submit, list, gzip, then stop cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.examples import UBIQUITIN

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_api_command_serves_over_http(tmp_path):
    port = free_port()
    env = {**os.environ, "OMTX_DATA_DIR": str(tmp_path / "data"), "OMTX_API_OPEN": "true", "HOME": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "omtx_core", "api", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/health", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the API did not start"
                time.sleep(0.1)
        body = {"task_type": "protein_structure", "input_data": {"protein_sequence": UBIQUITIN}, "job_name": "served"}
        submitted = httpx.post(f"{base}/predict", json=body, timeout=10)
        assert submitted.status_code == 201, submitted.text
        listed = httpx.get(f"{base}/jobs", headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert listed.headers["content-encoding"] == "gzip"
        assert [job["id"] for job in listed.json()["jobs"]] == [submitted.json()["job_id"]]
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).json()["info"]["title"] == "OMTX-Hub API"
        cli = subprocess.run([sys.executable, "-m", "omtx_core", "jobs", "list"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert submitted.json()["job_id"] in cli.stdout  # the CLI over the same data folder sees it
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert "Traceback" not in output
