"""Writes that must happen in every pod in service, and reads any of them can serve.

A replicated write goes first to the *reference pod* (the first pod in service,
in region order, that answers): its verdict is the user's answer (its policy,
its validation, its error words). Only if it accepted are the other pods asked,
in parallel; those that are down or refuse are left to a durable sync job that
makes them match the reference pod (see docs/lists.md, "Flavors and keypairs").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tricircle import faults
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.db.engine import Database
from tricircle.fanout.gather import gather
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo

IN_SERVICE = ("enabled", "draining")


async def pods_in_service(db: Database) -> list[PodInfo]:
    """Pods that must hold every flavor and keypair (enabled or draining), sorted
    by region name, pods the prober found unhealthy last."""
    async with db.session() as s:
        pods = [p for p in await registry.list_pods(s) if p.state in IN_SERVICE]
    return sorted(pods, key=lambda p: (p.health == "unhealthy", p.region_name))


async def each_other_pod(db: Database, source: str,
                         work: Callable[[str], Awaitable[None]]) -> list[str]:
    """Run `work(region)` for every pod in service but `source`, one after the other;
    one pod's failure does not stop the rest. The failures as "region: error"."""
    failures = []
    for pod in await pods_in_service(db):
        if pod.region_name == source:
            continue
        try:
            await work(pod.region_name)
        except Exception as exc:  # noqa: BLE001 - one pod's failure must not stop the rest
            failures.append(f"{pod.region_name}: {exc}")
    return failures


@dataclass(slots=True)
class Answer:
    """A pod's answer and the pod it came from."""

    pod: PodInfo
    response: PodResponse


@dataclass(slots=True)
class WriteOutcome:
    """The reference pod's answer, and the pods that did not take the write."""

    first: Answer
    lagging: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return 200 <= self.first.response.status < 300


def _unusable(resp: PodResponse) -> bool:
    return resp.status >= 500


async def send(pods: PodClients, region: str, method: str, path: str, *,
               headers: Mapping[str, str], body: bytes | None = None,
               timeout: float | None = None, service_type: str = "compute") -> PodResponse:
    """One call to one pod's compute (or `service_type`) API. Raises PodRequestError."""
    client = await pods.get(region)
    return await client.request(service_type, method, path, headers=headers, body=body,
                                timeout=timeout)


async def read_any(pods: PodClients, candidates: Sequence[PodInfo], path: str, *,
                   headers: Mapping[str, str], timeout: float | None = None,
                   service_type: str = "compute") -> Answer:
    """GET `path` from the first pod that answers (not down, not 5xx).

    Raises faults.PodUnavailable when none does.
    """
    for pod in candidates:
        try:
            resp = await send(pods, pod.region_name, "GET", path, headers=headers,
                              timeout=timeout, service_type=service_type)
        except PodRequestError:
            continue
        if not _unusable(resp):
            return Answer(pod, resp)
    raise faults.PodUnavailable(pod=_names(candidates))


def _names(candidates: Sequence[PodInfo]) -> str:
    return ", ".join(p.region_name for p in candidates) or "(none)"


BodyFor = Callable[[Answer], bytes | None]


async def write_all(pods: PodClients, candidates: Sequence[PodInfo], method: str, path: str,
                    *,
                    headers: Mapping[str, str], body: bytes | None = None,
                    body_for_others: BodyFor | None = None, deadline: float = 30.0
                    ) -> WriteOutcome:
    """Apply a write to the reference pod, then (if it accepted) to the others.

    `body_for_others(first)` may adapt the body after the reference pod's answer
    (e.g. to pin the id it chose). Raises faults.PodUnavailable when no pod
    answers at all. Pods that fail or refuse after an accepted write are listed
    in `lagging`; pods skipped before the reference pod are lagging too.
    """
    skipped: list[str] = []
    for i, pod in enumerate(candidates):
        try:
            resp = await send(pods, pod.region_name, method, path, headers=headers, body=body,
                              timeout=deadline)
        except PodRequestError:
            skipped.append(pod.region_name)
            continue
        if _unusable(resp):
            skipped.append(pod.region_name)
            continue
        outcome = WriteOutcome(Answer(pod, resp), skipped)
        if outcome.accepted:
            others_body = body_for_others(outcome.first) if body_for_others else body
            rest = [p.region_name for p in candidates[i + 1:]]
            outcome.lagging += await _write_others(pods, rest, method, path, headers,
                                                   others_body, deadline)
        return outcome
    raise faults.PodUnavailable(pod=_names(candidates))


async def _write_others(pods: PodClients, regions: Sequence[str], method: str, path: str,
                        headers: Mapping[str, str], body: bytes | None,
                        deadline: float) -> list[str]:
    async def call(region: str) -> int:
        return (await send(pods, region, method, path, headers=headers, body=body,
                           timeout=deadline)).status

    results = await gather(list(regions), call, deadline=deadline)
    return [r.pod for r in results if not r.ok or not _done(method, r.value or 0)]


def _done(method: str, status: int) -> bool:
    # deleting what is already gone is done
    return 200 <= status < 300 or (method == "DELETE" and status == 404)
