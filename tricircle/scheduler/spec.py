"""What the scheduler decides on: the request (`RequestSpec`) and what was read
from the pods beforehand (`Observations`). Both are plain data so `select_pod`
is a pure function, unit-tested without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


def parse_version(text: str | None) -> tuple[int, int] | None:
    """"2.79" -> (2, 79); None, "" and "latest" -> None. Raises ValueError if malformed."""
    if not text or text == "latest":
        return None
    major, _, minor = text.strip().partition(".")
    return int(major), int(minor or 0)


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """A placement request.

    `availability_zone` is the *top* AZ the user asked for (None: any);
    `microversion` the compute microversion the request carries (None: default or
    "latest", which every pod serves); `resources` the Placement resource amounts
    of the flavor (empty when unknown).
    """

    project_id: str
    availability_zone: str | None = None
    microversion: tuple[int, int] | None = None
    resources: dict[str, int] = field(default_factory=dict)
    strategy: str = "spread"
    surface: str = "compute"
    # the `group` scheduler hint: the server must land where its server group is
    server_group: str | None = None
    # images the server boots from: pods already holding them are preferred
    images: tuple[str, ...] = ()
    # the top AZs the server's networks may appear in (availability_zone_hints; empty: any)
    network_zones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PodCapacity:
    """Free capacity of one pod for the requested resources, from Placement.

    `candidates` is how many allocation candidates the pod offered (0: it cannot
    host the request); `free` the free amount per resource class summed over the
    pod's providers.
    """

    candidates: int
    free: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Observations:
    """What the gateway knows about the candidate pods for one request.

    `capacity` per pod id (missing or None: unknown, e.g. Placement did not
    answer in time); `bound_pods` the pods the project is bound to in the requested
    AZ (any AZ when none was requested).
    """

    capacity: dict[str, PodCapacity | None] = field(default_factory=dict)
    bound_pods: frozenset[str] = frozenset()
    # pods holding the requested server group (None: no group asked or none found)
    group_pods: frozenset[str] | None = None
    # pod id -> how many of the requested images it holds a usable copy of
    image_copies: dict[str, int] = field(default_factory=dict)
    # pod id -> how many servers the project has there (read for volume creates)
    project_servers: dict[str, int] = field(default_factory=dict)
    # pod id -> how many volumes the project has there (read for server creates)
    project_volumes: dict[str, int] = field(default_factory=dict)
