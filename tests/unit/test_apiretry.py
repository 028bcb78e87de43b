"""The one retry layer under every API object (apiretry.RetryingApiClient), against a scripted
transport: what is repeated, how long it waits, what a repeated delete or create means, and what
fails at once."""
from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTResponse
from urllib3 import HTTPResponse
from urllib3.exceptions import ProtocolError

from CpusetLibrary.apiretry import RETRIES, UNREACHABLE_RETRIES, ApiRefused, RetryingApiClient, backoff

HOST = "http://127.0.0.1:6443"


def answer(status: int, body: dict | None = None, headers: dict | None = None) -> RESTResponse:
    data = json.dumps(body if body is not None else {"kind": "Status", "code": status,
                                                      "message": f"message {status}"}).encode()
    return RESTResponse(HTTPResponse(body=io.BytesIO(data), status=status, preload_content=False,
                                     headers={"Content-Type": "application/json", **(headers or {})}))


class CutShort:
    """A 200 whose body breaks while it is read."""

    status, reason, headers = 200, "OK", {}

    def read(self):
        raise ProtocolError("Response ended prematurely")


class Transport:
    """Answers requests from a script: a response, or an exception to raise."""

    def __init__(self, *script) -> None:
        self.script: Iterator = iter(script)
        self.requests: list[tuple[str, str]] = []

    def request(self, method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        self.requests.append((method, url.removeprefix(HOST)))
        step = next(self.script)
        if isinstance(step, BaseException):
            raise step
        return step


class GaveUp(Exception):
    pass


@pytest.fixture
def sleeps() -> list[float]:
    return []


def api(sleeps: list[float], *script) -> tuple[RetryingApiClient, Transport]:
    configuration = client.Configuration(host=HOST)
    configuration.retries = False
    retrying = RetryingApiClient(configuration, gave_up=lambda what, err, n: GaveUp(f"{what} {n} {err}"),
                                 sleep=sleeps.append)
    retrying.rest_client = Transport(*script)
    return retrying, retrying.rest_client


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ns"}}


def test_the_back_off_doubles_from_a_tenth_of_a_second_up_to_two_seconds():
    assert [backoff(n) for n in range(7)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_a_read_is_repeated_after_5xx_and_resets_with_back_off(sleeps):
    retrying, transport = api(sleeps, answer(503), ProtocolError("reset"), answer(502), answer(200, pod("p")))
    got = client.CoreV1Api(retrying).read_namespaced_pod("p", "ns")
    assert got.metadata.name == "p"
    assert sleeps == [0.1, 0.2, 0.4] and len(transport.requests) == 4


def test_a_429_waits_its_retry_after(sleeps):
    retrying, _ = api(sleeps, answer(429, headers={"Retry-After": "1"}), answer(200, pod("p")))
    client.CoreV1Api(retrying).read_namespaced_pod("p", "ns")
    assert sleeps == [1.0]


def test_a_reply_cut_short_is_repeated(sleeps):
    retrying, transport = api(sleeps, CutShort(), answer(200, pod("p")))
    assert client.CoreV1Api(retrying).read_namespaced_pod("p", "ns").metadata.name == "p"
    assert len(transport.requests) == 2


def test_after_the_bound_the_request_fails_naming_it_and_the_retries(sleeps):
    retrying, transport = api(sleeps, *[answer(503)] * (RETRIES + 1))
    with pytest.raises(GaveUp) as failure:
        client.CoreV1Api(retrying).list_namespaced_pod("ns")
    assert str(failure.value).startswith(f"GET /api/v1/namespaces/ns/pods {RETRIES} ")
    assert len(transport.requests) == RETRIES + 1 and len(sleeps) == RETRIES
    assert sum(sleeps) == pytest.approx(sum(backoff(n) for n in range(RETRIES)))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_an_answer_retrying_cannot_change_fails_at_once_naming_the_request(sleeps, status):
    retrying, transport = api(sleeps, answer(status))
    with pytest.raises(ApiRefused) as failure:
        client.CoreV1Api(retrying).read_namespaced_pod("p", "ns")
    assert failure.value.status == status and sleeps == [] and len(transport.requests) == 1
    assert str(failure.value) == f"API server {HOST} refused GET /api/v1/namespaces/ns/pods/p: {status} message {status}"
    assert isinstance(failure.value, ApiException)  # callers still handle a status


def test_a_repeated_delete_that_finds_the_object_gone_succeeded(sleeps):
    retrying, transport = api(sleeps, ProtocolError("reply lost"), answer(404))
    client.AppsV1Api(retrying).delete_namespaced_daemon_set("ds", "ns")
    assert [m for m, _ in transport.requests] == ["DELETE", "DELETE"]


def test_a_first_delete_of_an_absent_object_is_a_404(sleeps):
    retrying, _ = api(sleeps, answer(404))
    with pytest.raises(ApiRefused) as failure:
        client.CoreV1Api(retrying).delete_namespaced_pod("p", "ns")
    assert failure.value.status == 404


def test_a_patch_is_repeated(sleeps):
    retrying, transport = api(sleeps, ProtocolError("reset"), answer(200, {"metadata": {"name": "n"}}))
    client.CoreV1Api(retrying).patch_node("n", {"metadata": {"labels": {"a": "b"}}})
    assert [m for m, _ in transport.requests] == ["PATCH", "PATCH"]


def test_a_create_whose_answer_was_lost_is_found_by_name_and_not_sent_again(sleeps):
    retrying, transport = api(sleeps, answer(503), answer(200, pod("p")))
    got = client.CoreV1Api(retrying).create_namespaced_pod("ns", pod("p"))
    assert got.metadata.name == "p"
    assert transport.requests == [("POST", "/api/v1/namespaces/ns/pods"), ("GET", "/api/v1/namespaces/ns/pods/p")]


def test_a_create_that_did_not_happen_is_sent_again_after_the_check(sleeps):
    retrying, transport = api(sleeps, ProtocolError("reset"), answer(503), answer(404), answer(201, pod("p")))
    client.CoreV1Api(retrying).create_namespaced_pod("ns", pod("p"))
    assert [m for m, _ in transport.requests] == ["POST", "GET", "GET", "POST"]


def test_a_create_without_a_name_is_not_repeated(sleeps):
    retrying, transport = api(sleeps, answer(503))
    with pytest.raises(GaveUp) as failure:
        client.CoreV1Api(retrying).create_namespaced_pod("ns", {"metadata": {"generateName": "p-"}})
    assert "cannot be checked, so it is not repeated" in str(failure.value)
    assert len(transport.requests) == 1 and sleeps == []


def test_a_watch_is_retried_until_its_stream_starts_and_its_body_is_left_unread(sleeps):
    stream = answer(200, {"type": "ADDED"})
    retrying, transport = api(sleeps, answer(503), stream)
    got = client.CoreV1Api(retrying).list_namespaced_pod("ns", watch=True, _preload_content=False)
    assert len(transport.requests) == 2 and "watch=true" in transport.requests[1][1].lower()
    assert got.read() == b'{"type": "ADDED"}'  # the caller reads the stream


def test_once_the_server_was_unreachable_requests_fail_fast_until_it_answers(sleeps):
    gone = [ProtocolError("reset")] * (RETRIES + 1 + 2 * (UNREACHABLE_RETRIES + 1))
    retrying, transport = api(sleeps, *gone, answer(200, pod("p")), *[answer(503)] * RETRIES, answer(200, pod("p")))
    core = client.CoreV1Api(retrying)
    for _ in range(3):
        with pytest.raises(GaveUp):
            core.read_namespaced_pod("p", "ns")
    assert len(transport.requests) == RETRIES + 1 + 2 * (UNREACHABLE_RETRIES + 1)
    assert core.read_namespaced_pod("p", "ns").metadata.name == "p"  # back: the full bound again
    assert core.read_namespaced_pod("p", "ns").metadata.name == "p"  # 10 x 503 ridden out


def test_a_server_that_answers_5xx_keeps_the_full_bound(sleeps):
    retrying, transport = api(sleeps, *[answer(503)] * (2 * (RETRIES + 1)))
    core = client.CoreV1Api(retrying)
    for _ in range(2):
        with pytest.raises(GaveUp):
            core.read_namespaced_pod("p", "ns")
    assert len(transport.requests) == 2 * (RETRIES + 1)


def test_a_watch_refused_names_the_servers_message(sleeps):
    retrying, _ = api(sleeps, answer(403))
    with pytest.raises(ApiRefused) as failure:
        client.CoreV1Api(retrying).list_namespaced_pod("ns", watch=True, _preload_content=False)
    assert str(failure.value).endswith(": 403 message 403")
