"""Placement errors, worded as Nova words them (rendered by tricircle.faults)."""

from __future__ import annotations

from tricircle import faults


class AvailabilityZoneNotAvailable(faults.BadRequest):
    """Nova's InvalidRequest for an unknown AZ on server create (400)."""

    code = "tricircle.az_not_available"
    message = "The requested availability zone is not available"


class VersionNotSupported(faults.NotAcceptable):
    """No pod serves the requested microversion (Nova's 406 computeFault)."""

    code = "tricircle.version_not_supported"
    message = ("Version %(version)s is not supported by the API. "
               "Minimum is %(min)s and maximum is %(max)s.")


class NoValidPod(faults.NoValidPod):
    """Every pod was filtered out (Nova's NoValidHost, answered up front)."""

    def __init__(self, reason: str = "There are not enough hosts available.") -> None:
        super().__init__(reason=reason)
