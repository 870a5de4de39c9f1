"""Structured logs: JSON lines from a worker's job carry its id, task, owner and engine call; secrets are masked."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import SecretStr

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.logs import configure_logging, job_context, log_context
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS

SECRET = "jwt-secret-that-must-never-be-logged"
FAST = WorkerTiming(poll_s=0.01, idle_s=0.01, retry_backoff_s=0.01, log_every_s=0.0, partial_every_s=0.0)


@pytest.fixture
def captured():
    """The handler configure_logging installs, writing into a buffer; removed afterwards."""
    buffers: list[logging.Handler] = []

    def capture(settings: Settings) -> io.StringIO:
        stream = io.StringIO()
        buffers.append(configure_logging(settings, stream))
        return stream

    yield capture
    for handler in buffers:
        logging.getLogger().removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_workers_job_logs_json_lines_with_its_context(tmp_path, captured):
    settings = Settings(data_dir=tmp_path, log_format="json", log_level="DEBUG", supabase_jwt_secret=SecretStr(SECRET))
    stream = captured(settings)
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    owner = Identity("alice-owner-id")
    service = JobService(settings=settings, store=store, artifacts=artifacts, identity=owner)
    job = service.submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    worker = Worker(store, artifacts, FixtureEngine(), settings, worker_id="w1", timing=FAST)
    assert worker.run_once().status.value == "completed"

    entries = [e for e in lines(stream) if e.get("job_id") == job.id]
    messages = [e["message"] for e in entries]
    assert "job submitted" in messages and "job completed" in messages
    assert any(m.startswith("job claimed by w1") for m in messages)
    for entry in entries:
        assert entry["task"] == "protein_structure" and entry["owner"] == "alice-owner-id"
        assert {"time", "level", "logger", "message"} <= set(entry)
    assert [e["engine_call_id"] for e in entries if e["message"] == "job completed"] == ["call-1"]
    assert log_context() == {}  # the context ends with the job


def test_lines_outside_a_job_carry_no_job_fields_and_text_is_one_line(tmp_path, captured):
    stream = captured(Settings(data_dir=tmp_path, log_format="text", log_level="DEBUG"))
    logging.getLogger("omtx_core.test").debug("plain line")
    with job_context(None, job_id="j1", task="t1"):
        logging.getLogger("omtx_core.test").info("inside")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("DEBUG   omtx_core.test: plain line")
    assert second.endswith("INFO    omtx_core.test: job_id=j1 task=t1 inside")


def test_the_level_setting_drops_lower_lines(tmp_path, captured):
    stream = captured(Settings(data_dir=tmp_path, log_level="WARNING"))
    logging.getLogger("omtx_core.test").info("quiet")
    logging.getLogger("omtx_core.test").warning("loud")
    assert "quiet" not in stream.getvalue() and "loud" in stream.getvalue()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_configured_secrets_are_masked_in_messages_arguments_and_tracebacks(tmp_path, captured, fmt):
    settings = Settings(data_dir=tmp_path, log_format=fmt, supabase_key=SecretStr("service-key-1234567890"),
                        supabase_jwt_secret=SecretStr('se"cret\\with-quotes'))  # fmt: skip
    stream = captured(settings)
    log = logging.getLogger("omtx_core.test")
    log.warning("key is %s", "service-key-1234567890")
    log.warning('the secret se"cret\\with-quotes leaked')
    try:
        raise RuntimeError("bad key service-key-1234567890")
    except RuntimeError:
        log.exception("failed")
    text = stream.getvalue()
    assert "service-key-1234567890" not in text and 'se"cret' not in text and 'se\\"cret' not in text
    assert text.count("****") >= 3


def test_configuring_again_replaces_only_its_own_handler(tmp_path, captured):
    before = list(logging.getLogger().handlers)
    captured(Settings(data_dir=tmp_path))
    captured(Settings(data_dir=tmp_path))
    added = [h for h in logging.getLogger().handlers if h not in before]
    assert len(added) == 1 and all(h in logging.getLogger().handlers for h in before)
