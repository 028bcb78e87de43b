"""Errors as Status objects (the client raises ApiException) and hostile input."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from kubernetes.client.rest import ApiException


def _err(call) -> ApiException:
    with pytest.raises(ApiException) as info:
        call()
    return info.value


def _status(err: ApiException) -> dict:
    body = json.loads(err.body)
    assert body["kind"] == "Status" and body["code"] == err.status
    return body


@pytest.mark.parametrize("mutate, field", [
    (lambda b: b["metadata"].update(name="Bad_Name"), "metadata.name"),
    (lambda b: b["spec"].update(containers=[]), "spec.containers"),
    (lambda b: b["spec"]["containers"][0].pop("image"), "spec.containers[0].image"),
    (lambda b: b["spec"]["containers"][0]["resources"]["limits"].update(cpu="lots"),
     "spec.containers[0].resources.limits[cpu]"),
    (lambda b: b["spec"]["containers"][0]["resources"].update(requests={"cpu": "2"}, limits={"cpu": "1500m"}),
     "spec.containers[0].resources.requests"),
])
def test_invalid_pod_is_422_naming_the_field(api, h, mutate, field):
    body = h.pod_body("ok-name", cpu="1")
    mutate(body)
    err = _err(lambda: api.create_namespaced_pod("default", body))
    assert err.status == 422
    status = _status(err)
    assert status["reason"] == "Invalid"
    assert field in status["message"]
    assert any(c["field"] == field for c in status["details"]["causes"])


def test_quantities_in_all_spellings_are_accepted(api, h):
    body = h.pod_body("qty", cpu="1500m", memory="1Gi")
    body["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "15"
    assert api.create_namespaced_pod("default", body).metadata.name == "qty"


def test_missing_namespace_is_404_and_duplicate_is_409(api, h):
    err = _err(lambda: api.create_namespaced_pod("nowhere", h.pod_body("p", cpu="1")))
    assert err.status == 404 and 'namespaces "nowhere" not found' in _status(err)["message"]
    api.create_namespaced_pod("default", h.pod_body("dup", cpu="1"))
    err = _err(lambda: api.create_namespaced_pod("default", h.pod_body("dup", cpu="1")))
    assert err.status == 409 and _status(err)["reason"] == "AlreadyExists"
    assert _err(lambda: api.read_namespaced_pod("absent", "default")).status == 404
    assert _err(lambda: api.delete_namespaced_pod("absent", "default")).status == 404
    assert _err(lambda: api.read_node("other-node")).status == 404


def test_bad_selector_is_400(api):
    err = _err(lambda: api.list_namespaced_pod("default", label_selector="a in (b"))
    assert err.status == 400


def _raw(sim, method: str, path: str, body: bytes | None = None, ctype: str = "application/json"):
    req = urllib.request.Request(sim.api_url + path, data=body, method=method, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_unknown_path_is_404_and_wrong_method_405(sim):
    code, body = _raw(sim, "GET", "/api/v1/widgets")
    assert code == 404 and json.loads(body)["kind"] == "Status"
    code, body = _raw(sim, "PUT", "/api/v1/nodes")
    assert code == 405 and json.loads(body)["reason"] == "MethodNotAllowed"


@pytest.mark.parametrize("payload", [
    b"", b"not json", b"[]", b"null", b'{"metadata": "x"}', b'{"metadata": {"name": 5}}',
    b'{"metadata": {"name": "x"}, "spec": {"containers": [1, 2]}}',
    b'{"metadata": {"name": "x", "labels": {"a": 1}}, "spec": {}}',
    b'{"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i", "resources": '
    b'{"limits": {"cpu": {"deep": true}}}}]}}',
    b'{"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}], '
    b'"terminationGracePeriodSeconds": "soon"}}',
    "\u00ff\u00fe".encode("utf-16"),
])
def test_hostile_bodies_get_4xx_and_leave_the_server_healthy(sim, api, h, payload):
    code, body = _raw(sim, "POST", "/api/v1/namespaces/default/pods", payload)
    assert 400 <= code < 500, (code, body)
    assert json.loads(body)["kind"] == "Status"
    # still serving, state intact
    api.create_namespaced_pod("default", h.pod_body("after", cpu="1"))
    h.wait_running(api, "after")
    assert [p.metadata.name for p in api.list_namespaced_pod("default").items] == ["after"]


def test_hostile_queries_do_not_crash(sim, api):
    for path in ("/api/v1/namespaces/default/pods?watch=true&resourceVersion=abc",
                 "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=x",
                 "/api/v1/namespaces/default/pods?limit=z",
                 "/api/v1/namespaces/default/pods/x/log?tailLines=-1",
                 "/api/v1/namespaces/default/pods?fieldSelector=%3D%3D%3D"):
        code, _ = _raw(sim, "GET", path)
        assert 400 <= code < 500, path
    assert api.read_node(sim.node_name).metadata.name == sim.node_name
