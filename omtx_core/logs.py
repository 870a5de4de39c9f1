"""Process logging: text or JSON lines carrying the current job's context, with configured secrets masked."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from omtx_core.config import Settings
    from omtx_core.domain.job import Job

CONTEXT_FIELDS = ("job_id", "task", "owner", "engine_call_id")
MASK = "****"
MIN_SECRET_LENGTH = 4  # shorter values are no real secrets, and masking them would garble every line
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("omtx_log_context", default=None)
_QUIET_LIBRARIES = ("httpx", "httpcore", "hpack", "urllib3")  # a line per HTTP request drowns the job lines


@contextlib.contextmanager
def job_context(job: Job | None = None, **fields: str) -> Iterator[None]:
    """Within this block (this thread or task only), every log line carries the job's id, task and owner."""
    values = dict(_context.get() or {})
    if job is not None:
        values.update(job_id=job.id, task=job.task_type, owner=job.owner)
        if job.engine_call_ids:
            values["engine_call_id"] = ",".join(job.engine_call_ids)
    values.update({name: str(value) for name, value in fields.items() if value})
    token = _context.set(values)
    try:
        yield
    finally:
        _context.reset(token)


def add_log_context(**fields: str) -> None:
    """Add to the current block's context (e.g. the engine call id once a call starts); job_context's end undoes it."""
    _context.set({**(_context.get() or {}), **{name: str(value) for name, value in fields.items() if value}})


def log_context() -> dict[str, str]:
    return dict(_context.get() or {})


def secret_values(settings: Settings | None) -> list[str]:
    """The values of every secret setting that is set, longest first (so a secret inside another is masked whole)."""
    if settings is None:
        return []
    values = [value.get_secret_value() for value in dict(settings).values() if isinstance(value, SecretStr)]
    return sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def masked(text: str, secrets: list[str]) -> str:
    """`text` with each secret (as written, and as JSON escapes it) replaced by ****."""
    for secret in secrets:
        for form in (secret, json.dumps(secret)[1:-1]):
            text = text.replace(form, MASK)
    return text


class _ContextFilter(logging.Filter):
    """Copies the job context onto each record, so formatters and other handlers can read it."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_context.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class _Formatter(logging.Formatter):
    """One line per record, text or JSON; the configured secrets are masked in the finished line."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__()
        self.json = fmt == "json"
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        context = {name: getattr(record, name) for name in CONTEXT_FIELDS if getattr(record, name, None)}
        error = self.formatException(record.exc_info) if record.exc_info else ""
        when = datetime.fromtimestamp(record.created, UTC)
        if self.json:
            entry: dict[str, Any] = {"time": when.isoformat(timespec="milliseconds"), "level": record.levelname,
                                     "logger": record.name, "message": message, **context}  # fmt: skip
            if error:
                entry["exception"] = error
            line = json.dumps(entry, ensure_ascii=False, default=str)
        else:
            tags = "".join(f" {name}={value}" for name, value in context.items())
            line = f"{when:%Y-%m-%d %H:%M:%S} {record.levelname:<7} {record.name}:{tags} {message}"
            if error:
                line += "\n" + error
        return masked(line, self.secrets)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at each line (a test's capture replaces it), not the one at start."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(settings: Settings | None, stream: Any = None) -> logging.Handler:
    """Send this process's log lines to stderr (or `stream`) in the configured format and level; calling it again
    replaces its own handler and leaves any other (a test's capture, Streamlit's) in place."""
    level = settings.log_level if settings else "INFO"
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.set_name("omtx")
    handler.setFormatter(_Formatter(settings.log_format if settings else "text", secret_values(settings)))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "omtx"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handler
