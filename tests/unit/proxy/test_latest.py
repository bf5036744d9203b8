"""`latest` pinned to the gateway's maximum compute microversion."""

from multidict import CIMultiDict

from tricircle.proxy import latest


def test_latest_is_read_as_nova_reads_it():
    assert latest.asks_latest({"OpenStack-API-Version": "compute latest"})
    assert latest.asks_latest({"X-OpenStack-Nova-API-Version": "latest"})
    assert latest.asks_latest({"OpenStack-API-Version": "placement 1.2, compute Latest"})
    # the standard header wins over the legacy one
    assert not latest.asks_latest({"OpenStack-API-Version": "compute 2.5",
                                   "X-OpenStack-Nova-API-Version": "latest"})
    assert not latest.asks_latest({"OpenStack-API-Version": "volume latest"})
    assert not latest.asks_latest({})


def test_both_headers_ask_for_the_maximum_and_other_services_are_kept():
    headers = CIMultiDict({"OpenStack-API-Version": "compute latest, placement 1.36",
                           "X-OpenStack-Nova-API-Version": "latest", "X-Auth-Token": "t"})
    out = latest.pinned(headers, "2.96")
    assert out["OpenStack-API-Version"] == "compute 2.96, placement 1.36"
    assert out["X-OpenStack-Nova-API-Version"] == "2.96"
    assert out["X-Auth-Token"] == "t"
    assert headers["OpenStack-API-Version"] == "compute latest, placement 1.36"  # a copy


def test_only_the_headers_the_client_sent_are_set():
    out = latest.pinned(CIMultiDict({"X-OpenStack-Nova-API-Version": "latest"}), "2.96")
    assert dict(out) == {"X-OpenStack-Nova-API-Version": "2.96"}
