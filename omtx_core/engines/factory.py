"""Choose the compute engine from settings (`OMTX_ENGINE`); without one, jobs wait and the reason is shown."""

from __future__ import annotations

from pathlib import Path

from omtx_core.config import Settings
from omtx_core.engines.base import EngineBatch, EngineRun, EngineStatus, time_limit_s
from omtx_core.errors import EngineUnavailable

NO_ENGINE_REASON = (
    "No compute engine is configured: install Boltz on a GPU machine (see README) or set Modal credentials. "
    "Submitted jobs wait in the queue until one is available."
)

_WAITING = "Jobs wait in the queue until an engine is configured."


class UnavailableEngine:
    """Stands in when no engine is configured: it refuses every run, so the worker leaves jobs pending."""

    name = "none"

    def __init__(self, reason: str = NO_ENGINE_REASON) -> None:
        self.reason = reason

    def unavailable_reason(self) -> str | None:
        return self.reason

    def time_limit_s(self, runs: tuple[EngineRun, ...], per_run_s: float) -> float:
        return time_limit_s(runs, per_run_s)

    def start(self, batch: EngineBatch) -> list[str]:
        raise EngineUnavailable(self.reason, _WAITING)

    def poll(self, call_ids: list[str]) -> EngineStatus:
        raise EngineUnavailable(self.reason, _WAITING)

    def read_log(self, call_ids: list[str]) -> str:
        return ""

    def fetch_outputs(self, call_ids: list[str], dest: Path, runs: list[str] | None = None) -> list[Path]:
        raise EngineUnavailable(self.reason, _WAITING)

    def cancel(self, call_ids: list[str]) -> None:
        return None


def make_engine(settings: Settings):
    """`OMTX_ENGINE`: modal or local as asked; auto takes Modal when configured, else a local boltz, else none."""
    if settings.engine in ("auto", "modal"):
        from omtx_core.engines.modal import ModalEngine

        modal = ModalEngine(settings)
        if settings.engine == "modal" or modal.unavailable_reason() is None:
            return modal
    from omtx_core.engines.local import LocalEngine

    local = LocalEngine(
        settings.boltz_command,
        settings.data_dir / "engine",
        cache=settings.boltz_cache,
        accelerator=settings.boltz_accelerator,
    )
    if settings.engine == "local" or local.unavailable_reason() is None:
        return local
    return UnavailableEngine()
