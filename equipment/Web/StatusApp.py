"""The status page as a FastAPI app: `/scheduler`, a page per job, `/scheduler/health`.

Built from a project's container (`status_app(container)`); imported only by `web.py`, so
FastAPI stays out of every other process. The pages are static shells that fetch JSON
every two seconds and redraw their tables (no full reload). With a token configured, every
route wants it: `?token=...` in the address (the pages pass it on) or an
`Authorization: Bearer ...` header.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from equipment.Scheduler import Health
from equipment.Scheduler.State.StateStore import StateStoreError, redis_errors_said
from equipment.Web import JobStatus
from equipment.Web.Pages import JOB_PAGE, LIST_PAGE

HISTORY_LIMIT = 50
#: A state store that cannot be read now (coordination's Redis down): not a server error.
UNAVAILABLE = 503

T = TypeVar("T")


def status_app(scheduler: Any, token: str | None = None) -> FastAPI:
    """The app for `scheduler` (collect-only: its jobs registered, nothing running)."""
    app = FastAPI(title="Scheduler status", docs_url=None, redoc_url=None, openapi_url=None)

    def authorised(request: Request) -> None:
        if not token:
            return
        given = request.query_params.get("token") or ""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:]
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(status_code=401, detail="a valid token is required")

    guard = [Depends(authorised)]

    @app.get("/scheduler", response_class=HTMLResponse, dependencies=guard)
    def jobs_page() -> str:
        return LIST_PAGE

    @app.get("/scheduler/api/jobs", dependencies=guard)
    def jobs() -> dict[str, Any]:
        now = scheduler.clock.now()
        return {
            "health": _health(scheduler).as_dict(),
            "jobs": _reading(scheduler, lambda: JobStatus.job_rows(scheduler, now)),
        }

    @app.get("/scheduler/health", dependencies=guard)
    def health() -> JSONResponse:
        report = _health(scheduler)
        return JSONResponse(report.as_dict(), status_code=200 if report.ok else 503)

    @app.get("/scheduler/api/jobs/{job_id:path}/history", dependencies=guard)
    def job_history(job_id: str) -> dict[str, Any]:
        return _reading(scheduler, lambda: _job_history(scheduler, job_id))

    @app.get("/scheduler/jobs/{job_id:path}", response_class=HTMLResponse, dependencies=guard)
    def job_page(job_id: str) -> str:
        _reading(scheduler, lambda: _known(scheduler, job_id))
        return JOB_PAGE

    return app


def _job_history(scheduler: Any, job_id: str) -> dict[str, Any]:
    """The job's row and its history (a job removed from the code: its stored runs)."""
    job = scheduler.schedule.job_named(job_id)  # registered, or left out for until()
    if job is None:
        return _removed_job(scheduler, job_id)
    now = scheduler.clock.now()
    if job.id in scheduler.schedule.left_out:
        row = JobStatus.left_out_row(scheduler, job, now)
    else:
        row = JobStatus.job_row(scheduler, job, now)
    return {"job": row, "history": JobStatus.history_rows(scheduler, job, now, HISTORY_LIMIT)}


def _removed_job(scheduler: Any, job_id: str) -> dict[str, Any]:
    """A job the code no longer registers: its stored runs, or 404 where it has none."""
    history = JobStatus.stored_history_rows(scheduler, job_id, HISTORY_LIMIT)
    if not history:
        raise _no_job(job_id)
    return {"job": JobStatus.removed_row(scheduler, job_id), "history": history}


def _known(scheduler: Any, job_id: str) -> None:
    """404 unless the code registers `job_id` (or left it out for its until() deadline) or
    the store keeps runs of it (a job removed from the code)."""
    registered = scheduler.schedule.job_named(job_id) is not None
    if not registered and not scheduler.state.history(job_id, limit=1):
        raise _no_job(job_id)


def _no_job(job_id: str) -> HTTPException:
    return HTTPException(
        status_code=404,
        detail=f"no job {job_id!r}: the code does not register it and no run of it is stored",
    )


def _health(scheduler: Any) -> Health.Health:
    """The health check; a store it cannot read is unhealthy, as `schedule health` says."""
    max_age = max(60.0, 3 * scheduler.settings.max_sleep)
    try:
        return _reading(
            scheduler, lambda: Health.check(scheduler.state, scheduler.clock.now(), max_age)
        )
    except HTTPException as error:
        return Health.Health(False, str(error.detail))


def _reading(scheduler: Any, read: Callable[[], T]) -> T:
    """`read()` of the state store. One it cannot read (coordination's Redis down, a file
    no longer a state database) is a 503 with the line `equipment schedule list` would
    print, not a 500 with a traceback in the server's log."""
    try:
        with redis_errors_said(scheduler.state.location):
            return read()
    except StateStoreError as error:
        raise HTTPException(status_code=UNAVAILABLE, detail=str(error)) from None
