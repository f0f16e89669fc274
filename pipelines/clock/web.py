"""The desk's SLA page (/kinerja-layanan): the SLA report's figures for the last 30 days, the
open clocks that are late or near their deadline, and the calendar warnings. One router,
mounted by the desk app with its login dependency."""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from pipelines import db
from pipelines.clock import report, states


def sla_router(rt, require_staff) -> APIRouter:
    env = Environment(loader=PackageLoader("pipelines.clock", "templates"), autoescape=select_autoescape())
    router = APIRouter()

    @router.get("/kinerja-layanan", response_class=HTMLResponse)
    def sla_page(user=Depends(require_staff)):
        now = db.now()
        fig = report.figures(rt, now - timedelta(days=30), now, now=now)
        with rt.engine.connect() as conn:
            open_states = states(rt, conn, open_only=True, now=now)
        attention = sorted((s for s in open_states if s.breached or s.warning), key=lambda s: s.deadline)
        local = rt.calendar.local_date(now)
        html = env.get_template("sla.html").render(
            fig=fig, complaint_tables=report.complaint_tables, attention=attention, user=user, zone=rt.calendar.office.zone,
            warnings=rt.calendar.warnings(range(local.year, local.year + 2)))
        return HTMLResponse(html)

    return router
