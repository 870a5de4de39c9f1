"""Routes for operators: `GET /health` (store and engine, as `python -m omtx_core health`) and `GET /metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from omtx_core.api.schemas import HealthOut

router = APIRouter(tags=["operations"])
HEALTH_TIMEOUT_S = 5.0


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "Unhealthy"}})
def health(request: Request) -> JSONResponse:
    """200 when the job store answers and an engine is usable; 503 with the failing check otherwise."""
    from omtx_core.cli_health import health_checks

    checks = health_checks(request.app.state.settings, timeout_s=HEALTH_TIMEOUT_S)
    body = HealthOut(ok=all(c.ok for c in checks), checks=[vars(c) for c in checks])
    return JSONResponse(body.model_dump(), status_code=200 if body.ok else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    """This process's Prometheus metrics, with the store's queue gauges read now."""
    from prometheus_client import CONTENT_TYPE_LATEST

    from omtx_core import metrics as process_metrics

    process_metrics.metrics().gauges.store = request.app.state.stores[0]
    return Response(process_metrics.scrape(), media_type=CONTENT_TYPE_LATEST)
