"""The volume surface against two strict fake Cinders: placement, routing,
merged lists, version documents and volume types, as a Cinder client sees them."""

from __future__ import annotations

from tests.functional.compute.conftest import P1, P2
from tricircle.routing import table


async def test_version_documents_advertise_the_range_every_pod_serves(gateway):
    resp = await gateway.client.get("/volume/")
    assert resp.status == 300
    (version,) = (await resp.json())["versions"]
    assert (version["id"], version["min_version"], version["version"]) == ("v3.0", "3.0", "3.70")
    assert version["links"][1]["href"] == str(gateway.client.make_url("/volume/v3/"))
    assert resp.headers["OpenStack-API-Version"] == "volume 3.0"
    assert (await gateway.client.get("/volume/v3/")).status == 401  # as Cinder: a token
    resp = await gateway.call("GET", "/volume/v3/")
    assert resp.status == 200 and (await resp.json())["versions"][0]["version"] == "3.70"


async def test_a_volume_lands_in_the_requested_az_with_a_hidden_marker(gateway):
    resp = await gateway.create(availability_zone="az2", name="data")
    assert resp.status == 202
    volume = (await resp.json())["volume"]
    assert volume["availability_zone"] == "az2"          # the pod's "zone-two", as top AZ
    assert volume["metadata"] == {}                      # the marker is hidden
    assert volume["links"][0]["href"].startswith(str(gateway.client.make_url("/volume/v3/")))
    in_pod = gateway.pods["RegionTwo"].volumes[volume["id"]]
    assert in_pod["metadata"]["tricircle_top_id"]        # ... but carried in the pod
    (route,) = await gateway.routes(resource_type="volume")
    assert (route.top_id, route.bottom_id, route.region_name) == (
        volume["id"], volume["id"], "RegionTwo")


async def test_a_refused_create_leaves_no_row_and_passes_cinders_words(gateway):
    resp = await gateway.create(size="abc")
    assert resp.status == 400
    assert "size" in (await resp.json())["badRequest"]["message"]
    assert await gateway.routes() == []


async def test_an_unknown_az_is_refused_in_cinders_dialect(gateway):
    resp = await gateway.create(availability_zone="nowhere")
    assert resp.status == 400
    assert resp.headers["OpenStack-API-Version"] == "volume 3.0"
    assert (await resp.json())["badRequest"]["message"] == \
        "Availability zone 'nowhere' is invalid."


async def test_another_tenants_volume_is_cinders_404(gateway):
    volume = (await (await gateway.create()).json())["volume"]
    resp = await gateway.call("GET", f"/volume/v3/volumes/{volume['id']}", P2)
    assert resp.status == 404
    assert (await resp.json()) == {"itemNotFound": {
        "code": 404, "message": f"Volume {volume['id']} could not be found."}}
    mine = await gateway.call("GET", f"/volume/v3/{P1}/volumes/{volume['id']}")
    body = await mine.json()
    assert mine.status == 200 and f"/volume/v3/{P1}/volumes/" in body["volume"]["links"][0][
        "href"]


async def test_a_snapshot_goes_to_its_volumes_pod(gateway):
    volume = (await (await gateway.create(availability_zone="az2")).json())["volume"]
    resp = await gateway.call("POST", "/volume/v3/snapshots",
                              json={"snapshot": {"volume_id": volume["id"]}})
    assert resp.status == 202
    snapshot = (await resp.json())["snapshot"]
    assert snapshot["id"] in gateway.pods["RegionTwo"].snapshots
    assert snapshot["metadata"] == {}
    unknown = await gateway.call("POST", "/volume/v3/snapshots",
                                 json={"snapshot": {"volume_id": "nope"}})
    assert unknown.status == 404


async def test_the_list_merges_both_pods_newest_first_and_pages_at_the_gateway(gateway):
    made = [(await (await gateway.create(availability_zone=az, name=f"v{i}")).json())["volume"]
            for i, az in enumerate(["az1", "az2", "az1"])]
    resp = await gateway.call("GET", "/volume/v3/volumes")
    listed = (await resp.json())["volumes"]
    assert [v["id"] for v in listed] == [v["id"] for v in reversed(made)]
    assert set(listed[0]) == {"id", "name", "links"}
    seen, path = [], "/volume/v3/volumes/detail?limit=1"
    while path:
        page = await (await gateway.call("GET", path)).json()
        seen += [v["id"] for v in page["volumes"]]
        links = page.get("volumes_links")
        path = links[0]["href"].split(str(gateway.client.make_url("")).rstrip("/"))[1] \
            if links else None
    assert seen == [v["id"] for v in reversed(made)]


async def test_an_unknown_marker_is_cinders_404(gateway):
    await gateway.create()
    resp = await gateway.call("GET", "/volume/v3/volumes?marker=" + "1" * 8 + "-" +
                              "-".join(["1111"] * 3) + "-" + "1" * 12)
    assert resp.status == 404
    assert "could not be found" in (await resp.json())["itemNotFound"]["message"]


async def test_delete_keeps_the_row_until_the_pod_forgets_the_volume(gateway):
    volume = (await (await gateway.create()).json())["volume"]
    resp = await gateway.call("DELETE", f"/volume/v3/volumes/{volume['id']}")
    assert resp.status == 202
    assert len(await gateway.routes(resource_type="volume")) == 1
    await gateway.run_jobs()
    assert await gateway.routes(resource_type="volume") == []


async def test_a_volume_type_is_created_in_every_pod_and_named_per_pod(gateway):
    resp = await gateway.call("POST", "/volume/v3/types", "admin", json={
        "volume_type": {"name": "gold", "extra_specs": {"tier": "1"}}})
    assert resp.status == 200
    top = (await resp.json())["volume_type"]["id"]
    one, two = gateway.pods["RegionOne"].types, gateway.pods["RegionTwo"].types
    assert top in one and [t["name"] for t in two.values()] == ["gold"]
    other = next(iter(two))
    resp = await gateway.call("POST", f"/volume/v3/types/{top}/extra_specs", "admin",
                              json={"extra_specs": {"speed": "fast"}})
    assert resp.status == 200
    assert two[other]["extra_specs"] == one[top]["extra_specs"] == {"tier": "1",
                                                                     "speed": "fast"}
    volume = (await (await gateway.create(availability_zone="az2",
                                          volume_type=top)).json())["volume"]
    assert gateway.pods["RegionTwo"].volumes[volume["id"]]["volume_type"] == "gold"


async def test_a_pod_enabled_again_gets_the_types_defined_meanwhile(gateway):
    from tricircle.pods import lifecycle

    async with gateway.db.session() as s:
        await lifecycle.change_pod(s, "RegionTwo", state="disabled")
    resp = await gateway.call("POST", "/volume/v3/types", "admin", json={
        "volume_type": {"name": "silver", "extra_specs": {"tier": "2"}}})
    assert resp.status == 200
    assert gateway.pods["RegionTwo"].types == {}
    async with gateway.db.session() as s:
        await lifecycle.change_pod(s, "RegionTwo", state="enabled")
    await gateway.run_jobs()
    (copy,) = gateway.pods["RegionTwo"].types.values()
    assert (copy["name"], copy["extra_specs"]) == ("silver", {"tier": "2"})


async def test_a_volume_without_az_goes_where_cinder_has_the_most_room(gateway):
    gateway.pods["RegionOne"].free_gb = 10
    volume = (await (await gateway.create(size=2)).json())["volume"]
    assert volume["id"] in gateway.pods["RegionTwo"].volumes
    gateway.pods["RegionTwo"].free_gb = 1
    resp = await gateway.create(size=50)
    assert resp.status == 400
    assert (await resp.json())["badRequest"]["message"].startswith("No valid backend was found.")


# ---- attachments and manage calls ------------------------------------------------------
V327 = {"OpenStack-API-Version": "volume 3.27"}


async def test_an_attachment_a_pods_nova_made_is_found_and_routed(gateway):
    created = await gateway.create(availability_zone="az2")
    volume_id = (await created.json())["volume"]["id"]
    attachment = "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a"
    gateway.pods["RegionTwo"].attachments[attachment] = {
        "id": attachment, "volume_id": volume_id, "status": "attached"}
    resp = await gateway.call("GET", f"/volume/v3/attachments/{attachment}", headers=V327)
    assert resp.status == 200 and (await resp.json())["attachment"]["volume_id"] == volume_id
    rows = await gateway.routes(resource_type="volume_attachment")
    assert [(r.top_id, r.region_name, r.project_id) for r in rows] == [
        (attachment, "RegionTwo", P1)]
    again = await gateway.call("GET", f"/volume/v3/attachments/{attachment}", headers=V327)
    assert again.status == 200
    # one probe of RegionTwo, then both calls routed there; RegionOne holds no volume
    # of the project, so it is not asked at all
    assert gateway.pods["RegionTwo"].calls.count(f"GET /v3/attachments/{attachment}") == 3
    assert not any("attachments" in c for c in gateway.pods["RegionOne"].calls)


async def test_a_deleted_attachments_row_stays_until_its_pod_forgets_it(gateway):
    created = await gateway.create(availability_zone="az2")
    volume_id = (await created.json())["volume"]["id"]
    attachment = "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2b"
    pod = gateway.pods["RegionTwo"]
    pod.attachments[attachment] = {"id": attachment, "volume_id": volume_id}
    resp = await gateway.call("DELETE", f"/volume/v3/attachments/{attachment}", headers=V327)
    assert resp.status == 200
    await gateway.run_jobs()  # still there (asked at 3.27: below, Cinder has no such API)
    assert len(await gateway.routes(resource_type="volume_attachment")) == 1
    del pod.attachments[attachment]
    await gateway.run_jobs()
    assert await gateway.routes(resource_type="volume_attachment") == []


async def test_an_attachment_no_pod_knows_is_cinders_404(gateway):
    await gateway.create(availability_zone="az2")
    missing = "6d5c4b3a-2f1e-4d0c-9b8a-000000000000"
    resp = await gateway.call("GET", f"/volume/v3/attachments/{missing}", headers=V327)
    assert resp.status == 404
    assert (await resp.json())["itemNotFound"]["code"] == 404
    assert await gateway.routes(resource_type="volume_attachment") == []


# ---- what an admin makes on another project's volume ---------------------------------
V355 = {"OpenStack-API-Version": "volume 3.55"}


async def test_an_admins_attachment_on_another_projects_volume_is_the_owners(gateway):
    volume = (await (await gateway.create(P2, availability_zone="az2")).json())["volume"]
    resp = await gateway.call("POST", "/volume/v3/attachments", "admin", headers=V327,
                              json={"attachment": {"volume_uuid": volume["id"]}})
    assert resp.status == 200
    attachment = (await resp.json())["attachment"]["id"]
    (row,) = await gateway.routes(resource_type="volume_attachment")
    assert (row.top_id, row.region_name, row.project_id) == (attachment, "RegionTwo", P2)
    shown = await gateway.call("GET", f"/volume/v3/attachments/{attachment}", P2,
                               headers=V327)
    assert shown.status == 200 and (await shown.json())["attachment"]["volume_id"] == \
        volume["id"]
    by_admin = await gateway.call("GET", f"/volume/v3/attachments/{attachment}", "admin",
                                  headers=V327)
    assert by_admin.status == 200
    gone = await gateway.call("DELETE", f"/volume/v3/attachments/{attachment}", P2,
                              headers=V327)
    assert gone.status == 200


async def test_an_admins_transfer_on_another_projects_volume_is_the_owners(gateway):
    volume = (await (await gateway.create(P2, availability_zone="az2")).json())["volume"]
    made = []
    for path, headers in (("/volume/v3/os-volume-transfer", {}),
                          (f"/volume/v3/{P1}/volume-transfers", V355)):
        resp = await gateway.call("POST", path, "admin", headers=headers,
                                  json={"transfer": {"volume_id": volume["id"]}})
        assert resp.status == 202
        made.append((path, headers, (await resp.json())["transfer"]["id"]))
    rows = await gateway.routes(resource_type="volume_transfer")
    assert sorted((r.top_id, r.region_name, r.project_id) for r in rows) == sorted(
        (ident, "RegionTwo", P2) for _p, _h, ident in made)
    listed = await gateway.call("GET", "/volume/v3/os-volume-transfer/detail", P2)
    assert sorted(t["id"] for t in (await listed.json())["transfers"]) == sorted(
        ident for _p, _h, ident in made)
    for path, headers, ident in made:
        shown = await gateway.call("GET", f"{path}/{ident}", P2, headers=headers)
        assert shown.status == 200 and (await shown.json())["transfer"]["volume_id"] == \
            volume["id"]
        assert (await gateway.call("GET", f"{path}/{ident}", "admin", headers=headers)
                ).status == 200
        assert (await gateway.call("DELETE", f"{path}/{ident}", P2, headers=headers)
                ).status == 202
    assert gateway.pods["RegionTwo"].transfers == {}


async def test_an_admins_transfer_whose_reservation_was_released_meanwhile_is_the_owners(
        gateway):
    """The repair releases a transfer's reservation whose lease ran out (transfers
    carry no marker): the create that then succeeds records the row anyway, under
    the volume's project like the reservation was."""
    volume = (await (await gateway.create(P2, availability_zone="az2")).json())["volume"]
    reserved: list[tuple[str | None, str]] = []

    async def released_by_the_repair() -> None:
        (row,) = await gateway.routes(resource_type="volume_transfer")
        reserved.append((row.bottom_id, row.project_id))
        async with gateway.db.session() as s:
            await table.release(s, row.id)

    gateway.pods["RegionTwo"].while_creating = released_by_the_repair
    resp = await gateway.call("POST", "/volume/v3/os-volume-transfer", "admin",
                              json={"transfer": {"volume_id": volume["id"]}})
    assert resp.status == 202
    assert reserved == [(None, P2)]
    transfer = (await resp.json())["transfer"]["id"]
    (row,) = await gateway.routes(resource_type="volume_transfer")
    assert (row.top_id, row.bottom_id, row.project_id) == (transfer, transfer, P2)
    shown = await gateway.call("GET", f"/volume/v3/os-volume-transfer/{transfer}", P2)
    assert shown.status == 200


async def test_a_member_cannot_attach_or_transfer_another_projects_volume(gateway):
    volume = (await (await gateway.create(P2, availability_zone="az2")).json())["volume"]
    before = list(gateway.pods["RegionTwo"].calls)
    for path, key, field, headers in (
            ("/volume/v3/attachments", "attachment", "volume_uuid", V327),
            ("/volume/v3/os-volume-transfer", "transfer", "volume_id", {}),
            ("/volume/v3/volume-transfers", "transfer", "volume_id", V355)):
        resp = await gateway.call("POST", path, P1, headers=headers,
                                  json={key: {field: volume["id"]}})
        assert resp.status == 404
        assert (await resp.json())["itemNotFound"]["message"] == \
            f"Volume {volume['id']} could not be found."
    assert gateway.pods["RegionTwo"].calls == before    # nothing asked of the pod
    assert await gateway.routes(resource_type="volume_attachment") == []
    assert await gateway.routes(resource_type="volume_transfer") == []


async def test_manage_goes_to_the_pod_running_the_named_host(gateway):
    gateway.pods["RegionOne"].hosts = ["r1-volume1@lab"]
    gateway.pods["RegionTwo"].hosts = ["r2-volume1@lab"]
    resp = await gateway.call("POST", "/volume/v3/manageable_volumes", json={"volume": {
        "host": "r2-volume1@lab#lab", "ref": {"source-name": "v"}}})
    assert resp.status == 202, await resp.text()
    volume_id = (await resp.json())["volume"]["id"]
    assert (await resp.json())["volume"]["availability_zone"] == "az2"  # the top AZ
    assert [m["host"] for m in gateway.pods["RegionTwo"].managed] == ["r2-volume1@lab#lab"]
    rows = await gateway.routes(resource_type="volume")
    assert [(r.top_id, r.region_name) for r in rows] == [(volume_id, "RegionTwo")]


async def test_manage_naming_a_top_az_goes_to_its_pod_with_the_pods_az_name(gateway):
    gateway.pods["RegionTwo"].hosts = ["r2-volume1@lab"]
    resp = await gateway.call("POST", "/volume/v3/manageable_volumes", json={"volume": {
        "host": "r2-volume1@lab", "availability_zone": "az2", "ref": {"source-name": "v"}}})
    assert resp.status == 202, await resp.text()
    assert gateway.pods["RegionTwo"].managed[0]["availability_zone"] == "zone-two"


async def test_manage_naming_an_unknown_host_gets_the_default_pods_refusal(gateway):
    gateway.pods["RegionOne"].hosts = ["r1-volume1@lab"]
    resp = await gateway.call("POST", "/volume/v3/manageable_volumes", json={"volume": {
        "host": "elsewhere@lab", "ref": {"source-name": "v"}}})
    assert resp.status == 400
    assert "elsewhere@lab" in (await resp.json())["badRequest"]["message"]
    assert await gateway.routes(resource_type="volume") == []


# ---- group types ---------------------------------------------------------------------------
V311 = {"OpenStack-API-Version": "volume 3.11"}


async def test_a_group_type_is_created_in_every_pod_and_its_specs_follow(gateway):
    resp = await gateway.call("POST", "/volume/v3/group_types", "admin", headers=V311, json={
        "group_type": {"name": "consistent", "group_specs": {"k": "1"}}})
    assert resp.status == 202, await resp.text()
    top = (await resp.json())["group_type"]["id"]
    one, two = gateway.pods["RegionOne"].group_types, gateway.pods["RegionTwo"].group_types
    (other,) = two
    assert top in one and other != top and two[other]["name"] == "consistent"
    resp = await gateway.call("POST", f"/volume/v3/group_types/{top}/group_specs", "admin",
                              headers=V311, json={"group_specs": {"k": "2"}})
    assert resp.status == 200
    assert one[top]["group_specs"] == two[other]["group_specs"] == {"k": "2"}
    resp = await gateway.call("DELETE", f"/volume/v3/group_types/{top}", "admin", headers=V311)
    assert resp.status == 202 and one == {} and two == {}


async def test_a_pod_that_missed_a_group_type_write_is_brought_in_line_by_a_job(gateway):
    gateway.pods["RegionTwo"].broken = True
    resp = await gateway.call("POST", "/volume/v3/group_types", "admin", headers=V311, json={
        "group_type": {"name": "late", "description": "d", "group_specs": {"k": "1"}}})
    assert resp.status == 202 and gateway.pods["RegionTwo"].group_types == {}
    gateway.pods["RegionTwo"].broken = False
    await gateway.run_jobs()
    (copy,) = gateway.pods["RegionTwo"].group_types.values()
    assert (copy["name"], copy["description"], copy["group_specs"]) == ("late", "d", {"k": "1"})


async def test_a_pod_enabled_again_gets_the_group_types_defined_meanwhile(gateway):
    from tricircle.pods import lifecycle

    async with gateway.db.session() as s:
        await lifecycle.change_pod(s, "RegionTwo", state="disabled")
    resp = await gateway.call("POST", "/volume/v3/group_types", "admin", headers=V311, json={
        "group_type": {"name": "meanwhile", "group_specs": {"k": "3"}}})
    assert resp.status == 202
    assert gateway.pods["RegionTwo"].group_types == {}
    async with gateway.db.session() as s:
        await lifecycle.change_pod(s, "RegionTwo", state="enabled")
    await gateway.run_jobs()
    (copy,) = gateway.pods["RegionTwo"].group_types.values()
    assert (copy["name"], copy["group_specs"]) == ("meanwhile", {"k": "3"})
