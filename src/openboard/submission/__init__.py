"""The use case that turns a submission into a queued evaluation; web, API and CLI all call it."""

from openboard.submission._parse import parse_submission
from openboard.submission._service import SubmissionOutcome, SubmissionService

__all__ = ["SubmissionOutcome", "SubmissionService", "parse_submission"]
