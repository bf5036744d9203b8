import json

import pytest

from tricircle.routing.translate import LinkRewriter, split_root

POD = "http://127.0.0.1:8774/v2.1"
TOP = "http://gw:19999/compute/v2.1"
SID = "ee16310f-9043-4892-8393-7cd12c22cfd9"


def _server_body(root: str = "http://127.0.0.1:8774") -> dict:
    return {"server": {"id": SID, "name": f"{root}/not-a-link",
                       "links": [{"rel": "self", "href": f"{root}/v2.1/servers/{SID}"},
                                 {"rel": "bookmark", "href": f"{root}/servers/{SID}"}],
                       "flavor": {"id": "1", "links": [{"rel": "bookmark",
                                                        "href": f"{root}/flavors/1"}]}}}


@pytest.mark.parametrize(("base", "root"), [
    ("http://127.0.0.1:8774/v2.1", "http://127.0.0.1:8774"),
    ("http://127.0.0.1:8774/v2.1/", "http://127.0.0.1:8774"),
    ("http://h/compute/v2.1", "http://h/compute"),
    ("http://h:8776/v3/abc123", "http://h:8776"),
    ("http://h:9696", "http://h:9696"),
    ("http://gw:19999/compute", "http://gw:19999/compute"),
])
def test_split_root_strips_version_segment_and_what_follows(base, root):
    assert split_root(base) == root


def test_rewrite_url_maps_versioned_and_bookmark_hrefs_to_the_gateway():
    rw = LinkRewriter(POD, TOP)
    assert rw.rewrite_url(f"{POD}/servers/{SID}") == f"{TOP}/servers/{SID}"
    assert (rw.rewrite_url(f"http://127.0.0.1:8774/servers/{SID}")
            == f"http://gw:19999/compute/servers/{SID}")
    assert (rw.rewrite_url("http://127.0.0.1:8774/v2.1/p1/servers?limit=1&marker=x")
            == "http://gw:19999/compute/v2.1/p1/servers?limit=1&marker=x")


def test_rewrite_url_leaves_other_hosts_and_longer_ports_alone():
    rw = LinkRewriter(POD, TOP)
    assert rw.rewrite_url("http://127.0.0.1:87740/v2.1/x") == "http://127.0.0.1:87740/v2.1/x"
    assert rw.rewrite_url("http://docs.openstack.org/") == "http://docs.openstack.org/"


def test_rewrite_walks_parsed_documents_and_keeps_non_link_text_that_does_not_start_with_root():
    rw = LinkRewriter(POD, TOP)
    body = _server_body()
    body["server"]["name"] = "see http://127.0.0.1:8774/x"
    out = rw.rewrite(body)
    hrefs = [link["href"] for link in out["server"]["links"]]
    assert hrefs == [f"{TOP}/servers/{SID}", f"http://gw:19999/compute/servers/{SID}"]
    assert out["server"]["flavor"]["links"][0]["href"] == "http://gw:19999/compute/flavors/1"
    assert out["server"]["name"] == "see http://127.0.0.1:8774/x"


def test_rewrite_bytes_equals_rewrite_of_the_parsed_body():
    rw = LinkRewriter(POD, TOP)
    raw = json.dumps(_server_body()).encode()
    assert json.loads(rw.rewrite_bytes(raw)) == rw.rewrite(_server_body())


def test_rewrite_bytes_only_touches_strings_that_start_with_the_root():
    rw = LinkRewriter(POD, TOP)
    raw = b'{"a": "x http://127.0.0.1:8774/v2.1/y", "b": "http://127.0.0.1:8774"}'
    assert rw.rewrite_bytes(raw) == (b'{"a": "x http://127.0.0.1:8774/v2.1/y", '
                                     b'"b": "http://gw:19999/compute"}')


def test_servers_links_pagination_href_is_rewritten_with_its_query():
    rw = LinkRewriter(POD, TOP)
    raw = json.dumps({"servers": [], "servers_links": [
        {"rel": "next", "href": f"{POD}/servers?limit=1&marker={SID}"}]}).encode()
    out = json.loads(rw.rewrite_bytes(raw))
    assert out["servers_links"][0]["href"] == f"{TOP}/servers?limit=1&marker={SID}"


def test_bottom_ids_are_mapped_to_top_ids_in_urls_and_bodies():
    rw = LinkRewriter(POD, TOP, ids={"bottom-1": "top-1"})
    assert rw.rewrite_url(f"{POD}/servers/bottom-1") == f"{TOP}/servers/top-1"
    assert rw.rewrite_bytes(b'{"id": "bottom-1"}') == b'{"id": "top-1"}'
    assert not rw.identity


def test_identity_rewriter_changes_nothing():
    rw = LinkRewriter(POD, POD)
    raw = json.dumps(_server_body()).encode()
    assert rw.identity
    assert rw.rewrite_bytes(raw) == raw


def test_az_rewriter_maps_pod_az_to_top_az_in_answers_only_in_az_fields():
    from tricircle.routing.translate import AzRewriter
    rw = AzRewriter("", "az1", ("availability_zone", "OS-EXT-AZ:availability_zone"))
    raw = json.dumps({"server": {"OS-EXT-AZ:availability_zone": "nova", "name": "nova",
                                 "metadata": {"x": "nova"}}}).encode()
    out = json.loads(rw.rewrite_bytes(raw))
    assert out == {"server": {"OS-EXT-AZ:availability_zone": "az1", "name": "nova",
                              "metadata": {"x": "nova"}}}


def test_az_rewriter_maps_top_az_to_pod_az_in_requests_keeping_host_suffix():
    from tricircle.routing.translate import AzRewriter
    rw = AzRewriter("zone-a", "az1", ("availability_zone",))
    assert rw.to_pod("az1") == "zone-a"
    assert rw.to_pod("az1:host1") == "zone-a:host1"
    assert rw.to_pod("az2") == "az2"
    assert rw.to_pod(None) is None
    assert AzRewriter("az1", "az1", ()).identity


def test_az_rewrite_writes_any_top_name_literally_into_the_json():
    import json

    from tricircle.routing.translate import AzRewriter
    for top in ("1zone", "z\\1", "a\\g<0>"):
        rw = AzRewriter("nova", top, ("OS-EXT-AZ:availability_zone",))
        out = rw.rewrite_bytes(b'{"OS-EXT-AZ:availability_zone": "nova", "name": "nova"}')
        assert json.loads(out) == {"OS-EXT-AZ:availability_zone": top, "name": "nova"}
