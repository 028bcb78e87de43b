"""Fault injection for the simulated API server: what a real control plane does under load or
while it fails, so the library's retries can be tested over HTTP.

Faults (``--fault NAME=VALUE``, repeatable; at run time ``POST /nrisim/v1/faults`` with a JSON
object of the same names, ``GET`` shows them and how often each fired):

- ``error_rate``: fraction of API requests answered ``503 Service Unavailable``
- ``throttle_rate``: fraction answered ``429 Too Many Requests`` with ``Retry-After: 1``
- ``slow``: seconds added to every API request
- ``reset_rate``: fraction of requests whose connection is reset before they are handled
- ``lost_reply_rate``: fraction handled (a create takes effect) whose reply is lost (reset)
- ``watch_drop``: seconds after which every watch stream is cut (0: never)
- ``down``: 1/true: the API has gone away, every connection is reset
- ``seed``: seed of the random choices (repeatable runs)

Requests to ``/nrisim/`` (the simulator's own control endpoints) are never faulted. When a
simulator started with ``--fault`` ends, how often each fault fired is written to stderr (``nrisim: API faults injected:
{...}``), so a run's ``nrisim/nrisim.stderr`` shows what it went through.
"""
from __future__ import annotations

import asyncio
import atexit
import json
import random
import sys
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Awaitable, Callable

from aiohttp import web

CONTROL_PATH = "/nrisim/v1/faults"


@dataclass
class Faults:
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    slow: float = 0.0
    reset_rate: float = 0.0
    lost_reply_rate: float = 0.0
    watch_drop: float = 0.0
    down: bool = False
    seed: int | None = None
    fired: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self) if f.name != "fired"}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault {name!r}; expected one of {', '.join(known)}")
            if name == "down":
                self.down = str(value).strip().lower() in ("1", "true", "yes", "on")
            elif name == "seed":
                self.seed = None if value in (None, "") else int(value)
                self.rng = random.Random(self.seed)
            else:
                number = float(value)
                if number < 0 or (name.endswith("_rate") and number > 1):
                    raise ValueError(f"fault {name} must be {'0..1' if name.endswith('_rate') else '>= 0'}, "
                                     f"got {value!r}")
                setattr(self, name, number)

    def count(self, name: str) -> None:
        self.fired[name] = self.fired.get(name, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: faults every new API server starts with (set by the command line)
DEFAULTS: dict[str, Any] = {}
#: the faults of every API server of this process, reported at exit
_SERVED: list[Faults] = []


def _report() -> None:
    for faults in _SERVED:
        if faults.fired:
            print(f"nrisim: API faults injected: {json.dumps(dict(sorted(faults.fired.items())))}", file=sys.stderr)


def parse(options: list[str]) -> dict[str, Any]:
    """``["error_rate=0.2", "slow=0.5"]`` -> ``{"error_rate": "0.2", "slow": "0.5"}``, checked."""
    values = {}
    for text in options:
        name, sep, value = text.partition("=")
        if not sep:
            raise ValueError(f"fault {text!r} must look like NAME=VALUE")
        values[name.strip()] = value.strip()
    Faults().update(values)  # refuses unknown names and bad values
    return values


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    headers = {"Retry-After": "1"} if code == 429 else {}
    return web.Response(body=json.dumps(body).encode(), status=code, content_type="application/json",
                        headers=headers)


def _reset(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()  # RST: the client sees a reset connection, no reply
    return web.Response(status=500)  # never delivered


async def _control(request: web.Request, faults: Faults) -> web.Response:
    if request.method == "POST":
        try:
            faults.update(json.loads(await request.read() or b"{}"))
        except (ValueError, TypeError, AttributeError) as err:
            return _status(400, "BadRequest", str(err))
    return web.Response(body=json.dumps(faults.as_dict()).encode(), content_type="application/json")


def middleware() -> Callable[..., Awaitable[web.StreamResponse]]:
    """The aiohttp middleware of one API server, starting with the faults in ``DEFAULTS``."""

    faults = Faults()
    faults.update(DEFAULTS)
    if DEFAULTS:  # a simulator started with faults (--fault) reports them when it ends
        if not _SERVED:
            atexit.register(_report)
        _SERVED.append(faults)

    @web.middleware
    async def faulty(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
        if request.path == CONTROL_PATH:
            return await _control(request, faults)
        if request.path.startswith("/nrisim/"):
            return await handler(request)
        if faults.down:
            faults.count("down")
            return _reset(request)
        if faults.slow:
            faults.count("slow")
            await asyncio.sleep(faults.slow)
        roll = faults.rng.random
        if faults.reset_rate and roll() < faults.reset_rate:
            faults.count("reset")
            return _reset(request)
        if faults.throttle_rate and roll() < faults.throttle_rate:
            faults.count("throttle")
            return _status(429, "TooManyRequests", "too many requests (nrisim fault injection), retry after 1 s")
        if faults.error_rate and roll() < faults.error_rate:
            faults.count("error")
            return _status(503, "ServiceUnavailable", "the server is currently unable to handle the request "
                                                      "(nrisim fault injection)")
        is_watch = request.query.get("watch") in ("1", "true", "True")
        if is_watch and faults.watch_drop:
            try:
                return await asyncio.wait_for(handler(request), faults.watch_drop)
            except asyncio.TimeoutError:
                faults.count("watch_drop")
                return _reset(request)
        if not is_watch and faults.lost_reply_rate and roll() < faults.lost_reply_rate:
            await handler(request)  # the request takes effect ...
            faults.count("lost_reply")
            return _reset(request)  # ... but its reply is lost
        return await handler(request)

    return faulty
