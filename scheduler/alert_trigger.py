"""Alert at once after a survey is submitted: the low-score alert job, run in the background.

A use case of the citizen handler (``handlers/citizen.py``), which calls
`trigger` once the submission is committed; the job itself is
``scheduler/jobs/low_score_alerts.py``.
"""

from __future__ import annotations

import logging

from scheduler.jobs import low_score_alerts
from scheduler.jobs.specs import JobContext
from scheduler.services import Services

log = logging.getLogger(__name__)

STATE_KEY = "low_score_alerts_now"


def trigger(services: Services) -> None:
    """Run the job now, in the background, after a survey was submitted (committed).

    Called by the citizen handler, so a unit head hears within seconds rather
    than at the next scheduled minute. One run at a time in this process: a
    submission that arrives while a run is going asks for one more run after
    it, so a burst of submissions costs two runs, not one per submission (each
    run finds everything new since the watermark). Errors are logged, never
    shown to the citizen.
    """
    state: dict[str, bool] = services.state.setdefault(
        STATE_KEY, {"running": False, "again": False}
    )
    if state["running"]:
        state["again"] = True
        return
    state["running"] = True
    services.spawn(_run_now(services, state), name="low_score_alerts:now")


async def _run_now(services: Services, state: dict[str, bool]) -> None:
    try:
        while True:
            state["again"] = False
            ctx = JobContext(
                settings=services.settings, sessions=services.sessions, now=services.clock.now()
            )
            summary = await low_score_alerts.run(ctx)
            log.info("low_score_alerts (after a submission): %s", summary)
            services.wake()
            if not state["again"]:
                return
    except Exception:
        log.exception("low_score_alerts: the run after a submission failed; the schedule retries")
    finally:
        state["running"] = False
