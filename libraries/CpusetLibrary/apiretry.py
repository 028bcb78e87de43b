"""Every request the library makes to the Kubernetes API, retried in one place.

A :class:`RetryingApiClient` is the one ``ApiClient`` of a cluster connection; every API object
built on it (CoreV1, AppsV1, Coordination, Version) goes through :meth:`RetryingApiClient.call_api`,
so no keyword has retries of its own:

- a failure that may pass (429, 500, 502, 503, 504, a reset or refused connection, a read
  timeout, a reply cut short) is retried with back-off (0.1 s doubling to 2 s; a 429's
  ``Retry-After`` is honoured) up to :data:`RETRIES` times, then fails with the cause, the bound
  and the step that was running; once a request found the server unreachable, the next ones are
  retried only :data:`UNREACHABLE_RETRIES` times until it answers again, so a run whose cluster
  went away reaches its teardown in seconds;
- reads (GET, HEAD) and replaces (PUT: a repeated one is refused 409 by its resourceVersion,
  which the caller handles) are repeated as they are, and so are patches: the library's patches
  set values (labels, annotations), and setting a value twice is setting it once;
- a delete is repeated, and a 404 on a repeated delete is its success: an earlier attempt
  deleted the object and only its answer was lost;
- a create (POST) is never repeated blindly: before it is sent again the object is read by name,
  and if it exists the earlier attempt took effect and only its answer was lost;
- any other answer (400, 401, 403, 404, 409, 422, ...) fails at once with :class:`ApiRefused`,
  naming the request, the status and the server's message.

Watch requests are retried until their stream starts; a stream that breaks later is the
caller's to re-establish (list again, watch again).
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlsplit

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTResponse
from urllib3 import HTTPResponse
from urllib3.exceptions import HTTPError as Urllib3Error

#: how often a request that failed for a reason that may pass is tried again
RETRIES = 10
#: ... and how often once a request gave up because the server could not be reached, until it answers
UNREACHABLE_RETRIES = 1
#: answers that say "not now" rather than "no"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: the first wait before a retry, doubled after every failed attempt ...
FIRST_BACKOFF = 0.1
#: ... up to this (a Retry-After is honoured up to twice this)
MAX_BACKOFF = 2.0
#: a watch stream that broke is listed and watched again after this pause (the wait's own timeout
#: bounds how often)
WATCH_PAUSE = 0.25
#: what a repeated delete answers when the object is already gone (any response type reads it)
_DELETED = json.dumps({"apiVersion": "v1", "kind": "Status", "metadata": {}}).encode()


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (0-based): 0.1, 0.2, 0.4, 0.8, 1.6, 2, 2, ..."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** attempt)


def status_message(status: int, reason: str | None, body: Any) -> str:
    """``404 pods "x" not found``: the status and the message of the server's Status object."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text or "")
        if isinstance(parsed, dict) and parsed.get("message"):
            return f"{status} {parsed['message']}"
    except ValueError:
        pass
    return f"{status} {reason or ''}".rstrip()


def describe_request(method: str, url: str) -> str:
    """``GET /api/v1/namespaces/x/pods`` (the query left out: it may be long)."""
    return f"{method} {urlsplit(url).path}"


class ApiRefused(ApiException):
    """The API server answered a request with an error that retrying does not change. Still an
    ``ApiException`` (``status``, ``reason``, ``body``) for callers that handle a status (a 404
    on a read, a 409 on a replace); its message is one line naming the request."""

    def __init__(self, server: str, request: str, http_resp: RESTResponse) -> None:
        super().__init__(http_resp=http_resp)
        self.message = f"API server {server} refused {request}: {status_message(self.status, self.reason, self.body)}"

    def __str__(self) -> str:
        return self.message


def _is_stream(url: str) -> bool:
    query = parse_qs(urlsplit(url).query)
    return any(query.get(name, [""])[0].lower() in ("true", "1") for name in ("watch", "follow"))


def _created_name(body: Any) -> str:
    metadata = body.get("metadata") if isinstance(body, dict) else None
    return str(metadata.get("name") or "") if isinstance(metadata, dict) else ""


def _answer(status: int, data: bytes) -> RESTResponse:
    response = RESTResponse(HTTPResponse(body=data, status=status, preload_content=True,
                                         headers={"Content-Type": "application/json"}))
    response.read()
    return response


class RetryingApiClient(client.ApiClient):
    """An ``ApiClient`` whose every request is retried as the module says.

    ``gave_up(what, error, retries)`` builds the exception raised once the retries are spent (the
    cluster connection names the step running); ``sleep`` is injectable for tests."""

    def __init__(self, configuration: client.Configuration,
                 gave_up: Callable[[str, BaseException, int], Exception] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(configuration)
        self.gave_up = gave_up or self._default_gave_up
        self.sleep = sleep
        #: a request gave up because the server could not be reached, and it has not answered since
        self.unreachable = False

    def _default_gave_up(self, what: str, err: BaseException, retries: int) -> Exception:
        return ConnectionError(f"API server {self.configuration.host}: {what} failed after {retries} retries: {err}")

    def call_api(self, method, url, header_params=None, body=None, post_params=None,
                 _request_timeout=None) -> RESTResponse:
        what = describe_request(method, url)
        check_first = False  # a create whose answer was lost: is the object there?
        attempt = 0
        while True:
            try:
                if check_first:
                    found = self._read_created(url, header_params, body, _request_timeout)
                    if found is not None:
                        return found
                    check_first = False
                response = self._send(method, url, header_params, body, post_params, _request_timeout)
                self.unreachable = False  # it answered
                if response.status in RETRY_STATUS:
                    failure: BaseException = ApiException(http_resp=response)
                elif 200 <= response.status <= 299:
                    return response
                elif method == "DELETE" and response.status == 404 and attempt:
                    return _answer(200, _DELETED)  # gone: deleted by an attempt whose answer was lost
                else:
                    raise ApiRefused(self.configuration.host, what, response)
            except ApiRefused:
                raise
            except ApiException as err:  # the check of a create answered "not now"
                failure = err
            except (Urllib3Error, OSError) as err:
                failure = err
            if method == "POST":
                if not _created_name(body):
                    raise self.gave_up(f"{what} (a create without a name cannot be checked, so it is not "
                                       "repeated)", failure, attempt)
                check_first = True
            if attempt >= (UNREACHABLE_RETRIES if self.unreachable else RETRIES):
                self.unreachable = not isinstance(failure, ApiException)
                raise self.gave_up(what, failure, attempt)
            self.sleep(self._wait(attempt, failure))
            attempt += 1

    def _send(self, method, url, header_params, body, post_params, _request_timeout) -> RESTResponse:
        response = super().call_api(method, url, header_params, body, post_params, _request_timeout)
        if not (_is_stream(url) and 200 <= response.status <= 299):
            response.read()  # inside the retries: a reply cut short is a failure to retry
        return response

    def _read_created(self, url, header_params, body, _request_timeout) -> RESTResponse | None:
        """The object a create names, if it exists (its 200 reply stands for the create's)."""
        parts = urlsplit(url)
        read_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/{quote(_created_name(body), safe='')}"
        response = super().call_api("GET", read_url, header_params, None, None, _request_timeout)
        response.read()
        self.unreachable = False  # it answered
        if response.status == 404:
            return None
        if 200 <= response.status <= 299:
            return response
        if response.status in RETRY_STATUS:
            raise ApiException(http_resp=response)
        raise ApiRefused(self.configuration.host, describe_request("GET", read_url), response)

    @staticmethod
    def _wait(attempt: int, failure: BaseException) -> float:
        wait = backoff(attempt)
        headers = getattr(failure, "headers", None) or {}
        try:
            wait = max(wait, min(float(headers.get("Retry-After", 0)), MAX_BACKOFF * 2))
        except (TypeError, ValueError):
            pass
        return wait

