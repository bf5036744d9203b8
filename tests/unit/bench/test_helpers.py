"""The benchmark harness's own logic: stub Nova semantics, wrk parsing, statistics."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from bench import loadgen, stub_pod
from bench.fanout import expected_first
from bench.stub_pod import Pod, answer, page

WRK_OUT = """Running 10s test @ http://127.0.0.1:1/v2.1/servers/x
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.90ms    1.10ms  30.00ms   90.00%
  Latency Distribution
     50%    4.85ms
     75%    5.20ms
     90%    5.90ms
     99%    1.20s
  69000 requests in 10.00s, 100.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   6900.00
"""


def _pod(servers: int = 5) -> Pod:
    pod = Pod(0, "http://127.0.0.1:1", 0.0)
    pod.load(servers)
    return pod


def test_wrk_summary_is_parsed_with_units_and_bad_answers() -> None:
    r = loadgen.parse_wrk(WRK_OUT)
    assert (r.rps, r.p50_ms, r.p99_ms, r.requests, r.bad) == (6900.0, 4.85, 1200.0, 69000, 3)
    assert not r.valid


def test_percentile_interpolates() -> None:
    assert loadgen.percentile([1, 2, 3, 4], 50) == 2.5
    assert loadgen.percentile([5], 99) == 5


def test_stub_lists_newest_first_and_pages_with_marker() -> None:
    pod = _pod()
    first, limit = page(pod, MultiDict(limit="2"))
    rest, _ = page(pod, MultiDict(limit="10", marker=first[-1]))
    everything, _ = page(pod, MultiDict())
    assert limit == 2 and first + rest == everything
    created = [pod.by_id[i]["created_at"] for i in everything]
    assert created == sorted(created, reverse=True)


def test_stub_unknown_marker_is_nova_400() -> None:
    status, _, body = answer(_pod(), "GET", "/v2.1/servers/detail",
                             MultiDict(marker="nope"), "")
    assert status == 400 and b"badRequest" in body and b"marker [nope] not found" in body


def test_stub_full_page_has_next_link_and_last_page_none() -> None:
    pod = _pod(3)
    _, _, full = answer(pod, "GET", "/v2.1/servers", MultiDict(limit="3"), "")
    _, _, short = answer(pod, "GET", "/v2.1/servers", MultiDict(limit="4"), "")
    assert b"servers_links" in full and b"marker=" in full
    assert b"servers_links" not in short


@pytest.mark.parametrize("query", [MultiDict(sort_key="bogus"), MultiDict(limit="x")])
def test_stub_rejects_bad_list_params(query: MultiDict) -> None:
    assert answer(_pod(), "GET", "/v2.1/servers", query, "")[0] == 400


def test_stub_show_404_is_item_not_found() -> None:
    status, _, body = answer(_pod(), "GET", "/v2.1/servers/nope", MultiDict(), "")
    assert status == 404 and b"itemNotFound" in body


def test_stub_echoes_requested_microversion() -> None:
    pod = _pod(1)
    sid = pod.servers[0]["id"]
    _, headers, _ = answer(pod, "GET", f"/v2.1/servers/{sid}", MultiDict(), "compute 2.69")
    assert headers["OpenStack-API-Version"] == "compute 2.69"


def test_creation_times_are_unique_so_expected_order_has_no_ties() -> None:
    times = {stub_pod.created_at(p, i) for p in range(50) for i in range(20)}
    assert len(times) == 1000


def test_expected_first_is_the_global_newest() -> None:
    ids = expected_first(pods=3, servers=4, limit=5)
    newest = sorted(((stub_pod.created_at(p, i), stub_pod.server_id(p, i))
                     for p in range(3) for i in range(4)), reverse=True)[:5]
    assert ids == [sid for _, sid in newest]
