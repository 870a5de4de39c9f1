"""`python -m omtx_core health`: a probe for operators; exit 0 only when the store answers and an engine is usable."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from dataclasses import dataclass

EXIT_UNHEALTHY = 1
CHECK_TIMEOUT_S = 10.0  # a probe must answer: a store or engine that hangs counts as down


@dataclass(frozen=True)
class Check:
    """One line of the probe: what was checked, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'FAILED'} - {self.detail}"


def add_health_command(commands: argparse._SubParsersAction) -> None:
    health = commands.add_parser("health", help="check the job store and the engine (exit 0 when both are usable)")
    health.add_argument("--timeout", type=float, default=CHECK_TIMEOUT_S, help="seconds allowed per check")
    health.set_defaults(handler=_health)


def health_checks(settings, *, timeout_s: float = CHECK_TIMEOUT_S) -> list[Check]:
    """The store (a count of jobs, the cheapest query) and the engine (configured and reachable), each bounded."""
    return [
        _bounded("store", lambda: _store_check(settings), timeout_s),
        _bounded("engine", lambda: _engine_check(settings), timeout_s),
    ]


def _health(args: argparse.Namespace) -> int:
    from omtx_core.cli_jobs import shown

    try:
        settings = args.ctx.settings
    except Exception as exc:  # a bad setting leaves nothing to check
        print(shown(f"settings: FAILED - {exc}"))
        return EXIT_UNHEALTHY
    checks = health_checks(settings, timeout_s=args.timeout)
    for check in checks:
        print(shown(check.line()))
    return 0 if all(check.ok for check in checks) else EXIT_UNHEALTHY


def _store_check(settings) -> Check:
    from omtx_core.domain.job import JobQuery, JobStatus
    from omtx_core.store.factory import open_stores

    store, _artifacts = open_stores(settings)
    queued = store.list(JobQuery(status=JobStatus.PENDING, limit=1)).total
    if getattr(store, "degraded", False):
        return Check("store", False, f"{store.name}: the shared store is unreachable; jobs wait in the local outbox")
    return Check("store", True, f"{store.name}, {queued:,} job(s) queued")


def _engine_check(settings) -> Check:
    from omtx_core.engines.factory import make_engine

    engine = make_engine(settings)
    reason = engine.unavailable_reason()
    return Check("engine", reason is None, reason or f"{engine.name} is configured")


def _bounded(name: str, check: Callable[[], Check], timeout_s: float) -> Check:
    """Run `check` in a thread and wait at most `timeout_s`: a hung network call must not hang the probe."""
    outcome: list[Check] = []

    def run() -> None:
        try:
            outcome.append(check())
        except Exception as exc:  # the reason is the probe's answer; OmtxErrors carry a message and a hint
            from omtx_core.errors import OmtxError

            said = str(exc) if isinstance(exc, OmtxError) else f"{type(exc).__name__}: {exc}"
            outcome.append(Check(name, False, said))

    thread = threading.Thread(target=run, name=f"omtx-health-{name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return outcome[0] if outcome else Check(name, False, f"no answer within {timeout_s:g} s")
