"""Choose the compute engine from settings (`OMTX_ENGINE`); without one, jobs wait and the reason is shown."""

from __future__ import annotations

from pathlib import Path

from omtx_core.config import Settings
from omtx_core.engines.base import EngineBatch, EngineStatus

NO_ENGINE_REASON = (
    "No compute engine is configured: install Boltz on a GPU machine (see README) or set Modal credentials. "
    "Submitted jobs wait in the queue until one is available."
)


class UnavailableEngine:
    """Stands in when no engine is configured: it refuses every run, so the worker leaves jobs pending."""

    name = "none"

    def __init__(self, reason: str = NO_ENGINE_REASON) -> None:
        self.reason = reason

    def unavailable_reason(self) -> str | None:
        return self.reason

    def start(self, batch: EngineBatch) -> list[str]:
        raise RuntimeError(self.reason)

    def poll(self, call_ids: list[str]) -> EngineStatus:
        raise RuntimeError(self.reason)

    def read_log(self, call_ids: list[str]) -> str:
        return ""

    def fetch_outputs(self, call_ids: list[str], dest: Path) -> list[Path]:
        raise RuntimeError(self.reason)

    def cancel(self, call_ids: list[str]) -> None:
        return None


def make_engine(settings: Settings):
    """The engine the settings ask for; engines arrive with their own issue, until then none is available."""
    return UnavailableEngine()
