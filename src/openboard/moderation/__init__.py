"""Moderators' actions (flags, hidden and deleted results, model types, the queue, the blocklist,
official providers), checked and audited; the web, the API and the CLI all call this."""

from openboard.moderation._service import (
    CONTAMINATION_CHECKS,
    Action,
    ModerationError,
    ModerationService,
)

__all__ = ["CONTAMINATION_CHECKS", "Action", "ModerationError", "ModerationService"]
