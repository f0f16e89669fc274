"""Certification applications (Process B): services as data walked by one engine.

Intake runs on the mail path (pipelines/process.py) with `walk.Intake`; officers complete the
steps that follow with `walk.advance`; mail in a case's thread goes to `thread.followup` (queued for the role that acts on it).
"""
from pipelines.applications.thread import answer_question, followup, handle  # noqa: F401
from pipelines.applications.walk import (ApplicationError, Intake, advance, clock_figures,  # noqa: F401
                                         close_nonconformity, record_nonconformity)
from pipelines.process import FOLLOWUP_HANDLERS, INTAKE_EXTENSIONS

INTAKE_EXTENSIONS.append(Intake())
FOLLOWUP_HANDLERS.append(followup)
