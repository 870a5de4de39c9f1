"""Real-browser fixtures: the Streamlit app as a subprocess over the stand-in `boltz`, and a headless Chromium page."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.boltz_fixture_output import FIXTURES
from tests.fake_boltz_env import fake_boltz

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
HEALTH_TIMEOUT_S = 60
VIEWPORT = {"width": 1400, "height": 1000}


@dataclass(frozen=True)
class App:
    url: str
    data_dir: Path
    stderr_path: Path
    env: dict[str, str]

    def stderr_tail(self, chars: int = 4000) -> str:
        return self.stderr_path.read_text(errors="replace")[-chars:] if self.stderr_path.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _wait_healthy(process: subprocess.Popen, app: App) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The app exited with code {process.returncode} before it was healthy:\n{app.stderr_tail()}")
        if _healthy(app.url):
            return
        time.sleep(0.5)
    pytest.fail(f"The app was not healthy after {HEALTH_TIMEOUT_S} s ({app.url}/_stcore/health):\n{app.stderr_tail()}")


def _app_env(tmp: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_", "FAKE_BOLTZ", "STREAMLIT_"))}
    env.update(OMTX_DATA_DIR=str(tmp / "data"), OMTX_ENGINE="local", OMTX_BOLTZ_COMMAND=fake_boltz(delay_s="1"),
               OMTX_BOLTZ_ACCELERATOR="gpu", OMTX_WORKER_POLL_S="0.2", HOME=str(tmp),
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")  # fmt: skip
    env.update(extra_env or {})
    return env


@contextlib.contextmanager
def running_app(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[App]:
    """A freshly started app on a free port with its data in `tmp`, the local engine over the stand-in `boltz`;
    `extra_env` adds or overrides environment variables."""
    port = _free_port()
    stderr_path = tmp / "app.stderr.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1"]  # fmt: skip
    env = _app_env(tmp, extra_env)
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stderr, stderr=subprocess.STDOUT)
    started = App(f"http://127.0.0.1:{port}", tmp / "data", stderr_path, env)
    try:
        _wait_healthy(process, started)
        yield started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[App]:
    """The app shared by the browser tests, with its own data folder."""
    with running_app(tmp_path_factory.mktemp("e2e-app")) as started:
        yield started


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium, which `.ci/run` installs "
                    "(apt-get install -y chromium). Run `.ci/run` or install it, then rerun.")  # fmt: skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, app) -> Iterator[object]:
    """A fresh browser context (own Streamlit session) with downloads accepted and a 1400×1000 viewport."""
    context = browser.new_context(accept_downloads=True, viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def import_fixture(app: App, folder: str, name: str) -> str:
    """Import a recorded Boltz output folder into the running app's store with the CLI; returns the job id."""
    command = [sys.executable, "-m", "omtx_core", "import", str(FIXTURES / folder), "--name", name]
    done = subprocess.run(command, cwd=REPO, env=app.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"import of {folder} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def imported_jobs(app) -> dict[str, str]:
    """The two recorded fixtures imported into the app as completed jobs: {"carazolol": id, "pmhc": id}."""
    return {
        "carazolol": import_fixture(app, "protein_ligand_affinity_b2ar_carazolol", "b2AR carazolol (imported)"),
        "pmhc": import_fixture(app, "BOLTZ1_multichain_pmhc_4chain", "pMHC 4-chain (imported)"),
    }
