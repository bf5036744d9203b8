import pytest
from multidict import CIMultiDict

from tricircle.proxy import microversion


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, None),
    ({"OpenStack-API-Version": "compute 2.79"}, "2.79"),
    ({"OpenStack-API-Version": "placement 1.36, compute 2.5"}, "2.5"),
    ({"X-OpenStack-Nova-API-Version": "2.3"}, "2.3"),
    ({"OpenStack-API-Version": "compute latest", "X-OpenStack-Nova-API-Version": "2.3"},
     "latest"),
    ({"OpenStack-API-Version": "volume 3.5"}, None),
])
def test_requested_reads_the_new_header_first(headers, expected):
    assert microversion.requested(CIMultiDict(headers)) == expected


def test_parse_rejects_malformed_versions():
    assert microversion.parse("2.79") == (2, 79)
    assert microversion.parse("latest") is None
    for bad in ("foo", "2.", "02.1", "2.01"):
        with pytest.raises(ValueError):
            microversion.parse(bad)


def test_response_headers_echo_the_request_like_nova():
    latest = microversion.response_headers(
        CIMultiDict({"OpenStack-API-Version": "compute latest"}), "2.104")
    assert latest["OpenStack-API-Version"] == "compute 2.104"
    assert latest["X-OpenStack-Nova-API-Version"] == "2.104"
    default = microversion.response_headers(CIMultiDict(), "2.104")
    assert default["X-OpenStack-Nova-API-Version"] == "2.1"
    assert microversion.response_headers(
        CIMultiDict({"OpenStack-API-Version": "compute foo"}), "2.104") == {}


def test_volume_answers_carry_cinders_version_headers():
    from tricircle.proxy.microversion import response_headers

    assert response_headers({}, "3.71", "volume") == {
        "OpenStack-API-Version": "volume 3.0", "Vary": "OpenStack-API-Version"}
    latest = {"OpenStack-API-Version": "volume latest"}
    assert response_headers(latest, "3.71", "volume")["OpenStack-API-Version"] == "volume 3.71"
    assert response_headers({"OpenStack-API-Version": "volume foo"}, "3.71", "volume") == {}
