"""Each surface's errors look like that surface's real service (api-samples)."""

import json

from tricircle import faults
from tricircle.faults import Dialect


def test_compute_not_found_uses_nova_fault_shape_and_headers():
    resp = faults.render(faults.NotFound("Instance x could not be found."), Dialect.COMPUTE,
                         "req-1")
    assert resp.status == 404
    assert json.loads(resp.body) == {
        "itemNotFound": {"code": 404, "message": "Instance x could not be found."}}
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert resp.headers["X-Compute-Request-ID"] == "req-1"
    assert resp.headers["X-OpenStack-Request-ID"] == "req-1"


def test_compute_names_follow_nova_for_each_status():
    assert faults.compute_fault_name(400) == "badRequest"
    assert faults.compute_fault_name(409) == "conflictingRequest"
    assert faults.compute_fault_name(413) == "overLimit"
    assert faults.compute_fault_name(406) == "computeFault"
    assert faults.compute_fault_name(500) == "computeFault"


def test_network_error_is_neutron_error():
    resp = faults.render(faults.NotFound("Network x could not be found."), Dialect.NETWORK, "r")
    assert json.loads(resp.body) == {"NeutronError": {
        "type": "HTTPNotFound", "message": "Network x could not be found.", "detail": ""}}


def test_image_error_is_an_html_page_unless_json_is_accepted():
    html = faults.render(faults.NotFound("No image found"), Dialect.IMAGE, "r")
    assert html.headers["Content-Type"].startswith("text/html")
    assert b"<h1>404 Not Found</h1>" in html.body
    js = faults.render(faults.NotFound("No image found"), Dialect.IMAGE, "r", accept_json=True)
    body = json.loads(js.body)
    assert body["code"] == "404 Not Found" and body["title"] == "Not Found"


def test_admin_errors_follow_api_wg():
    resp = faults.render(faults.Conflict("Pod RegionOne exists."), Dialect.ADMIN, "req-9")
    err = json.loads(resp.body)["errors"][0]
    assert err == {"status": 409, "code": "tricircle.conflict", "title": "Conflict",
                   "detail": "Pod RegionOne exists.", "request_id": "req-9"}


def test_message_templates_are_filled_and_survive_bad_arguments():
    assert faults.Forbidden(action="x:y").text == "Policy doesn't allow x:y to be performed."
    assert faults.NotFound("100%% sure %(missing)s", other=1).text == "100%% sure %(missing)s"


def test_unauthorized_matches_keystonemiddleware():
    resp = faults.render_unauthorized(Dialect.COMPUTE, "req-2", "http://127.0.0.1:5000/v3")
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == 'Keystone uri="http://127.0.0.1:5000"'
    assert json.loads(resp.body)["error"]["title"] == "Unauthorized"
    glance = faults.render_unauthorized(Dialect.IMAGE, "req-2", "http://127.0.0.1:5000/v3")
    assert glance.headers["Content-Type"].startswith("text/html")


def test_volume_fault_is_cinder_shape_without_charset():
    resp = faults.render(faults.NotFound("Volume x could not be found."), Dialect.VOLUME, "r")
    assert json.loads(resp.body) == {
        "itemNotFound": {"code": 404, "message": "Volume x could not be found."}}
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["X-Compute-Request-ID"] == "r"


def test_volume_over_limit_carries_retry_after_like_cinder():
    body = json.loads(faults.render(faults.RequestTooLarge("quota"), Dialect.VOLUME, "r").body)
    assert body == {"overLimit": {"code": 413, "message": "quota", "retryAfter": "0"}}
