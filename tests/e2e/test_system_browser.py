"""In a real browser: the System page of an app whose embedded worker ran jobs, and that worker's metrics endpoint."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.e2e.browser import assert_no_exception, goto, shoot
from tests.e2e.conftest import REPO, running_app
from tests.examples import VALID_INPUTS
from tests.fake_boltz_env import fake_boltz

pytestmark = pytest.mark.browser
SECRET = "browser-jwt-secret-never-shown-7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def submit(app, task: str) -> dict:
    command = [sys.executable, "-m", "omtx_core", "submit", task, "-", "--wait", "--timeout", "90"]
    done = subprocess.run(command, cwd=REPO, env=app.env, input=json.dumps(VALID_INPUTS[task]), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    job_id = done.stdout.strip().splitlines()[-1]
    shown = subprocess.run([sys.executable, "-m", "omtx_core", "jobs", "show", job_id, "--json"], cwd=REPO,
                           env=app.env, capture_output=True, text=True, timeout=60)  # fmt: skip
    return json.loads(shown.stdout)


def test_the_system_page_shows_the_deployment_and_the_app_serves_metrics(browser, tmp_path, screenshots):
    port = free_port()
    extra = {"OMTX_METRICS_PORT": str(port), "OMTX_LOG_FORMAT": "json", "OMTX_SUPABASE_JWT_SECRET": SECRET,
             "OMTX_BOLTZ_COMMAND": fake_boltz(mode="oom:structure")}  # fmt: skip
    with running_app(tmp_path, extra) as app:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        goto(page, app, "")  # the first page starts the app's embedded worker and its metrics endpoint
        assert submit(app, "protein_ligand_binding")["status"] == "completed"
        failed = submit(app, "protein_structure")
        assert failed["status"] == "failed"

        goto(page, app, "system")
        assert_no_exception(page, "system page")
        main = page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        for section in ("Job store", "Engine", "Workers and running jobs", "Failures in the last 24 hours",
                        "Metrics", "Configuration"):  # fmt: skip
            assert section in text
        assert "local is configured" in text and "No job failed" not in text  # tables draw on a canvas
        assert page.locator('[data-testid="stDataFrame"]').count() == 2  # the failures and the configuration
        assert f"http://localhost:{port}/metrics" in text
        page.get_by_text("Configuration", exact=True).scroll_into_view_if_needed()
        shoot(page, screenshots, "system_page")
        context.close()

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            scraped = response.read().decode()
        assert 'omtx_jobs_completed_total{task="protein_ligand_binding"} 1.0' in scraped
        assert f'omtx_jobs_failed_total{{kind="{failed["error"]["kind"]}",task="protein_structure"}} 1.0' in scraped
        assert "omtx_queue_depth 0.0" in scraped
        logged = app.stderr_path.read_text()
        assert any(json.loads(line).get("job_id") == failed["id"] for line in logged.splitlines()
                   if line.startswith("{"))  # fmt: skip
        for where in (text, scraped, logged):
            assert SECRET not in where
