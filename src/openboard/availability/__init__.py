"""Whether evaluated commits can still be read from their source (the public site's "available on
the hub" column and its "hide unavailable" filter)."""

from openboard.availability._check import AvailabilityReport, CommitCheck, check_availability

__all__ = ["AvailabilityReport", "CommitCheck", "check_availability"]
