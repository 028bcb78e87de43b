#!/usr/bin/env python3
"""Render a failing run's log.html in headless Chromium and check what a reader sees.

Opens ``log.html#<failed test id>`` (what the link of a failed test in report.html does), in the
default view: no ``--expandkeywords``, nothing clicked. Then it checks, in the rendered page,
that the failure's evidence is on screen without expanding anything: a CPU map with leaked CPUs,
the pods' events and the decisive plugin lines, each inside the failing keyword and not inside
the (collapsed) teardown. Optionally saves a PNG of the failing test.

    python scripts/check_failure_evidence.py RESULTS_DIR [--png docs/img/step05-failure-evidence.png]
    python scripts/check_failure_evidence.py --run DIR    # first run the ten-step suite on
                                                          # the leak-on-remove model into DIR

Needs ``chromium`` (Debian package of that name) and the project's requirements (aiohttp).
Exit status 0 when the evidence is visible, 1 with the reasons when not.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
WIDTH = 1100
PAGE_TIMEOUT = 30.0

# Runs in the page: what is rendered (RF's log.html builds a keyword's children only when it is
# opened) and visible (non-zero size), and which keywords (by their header label) contain it.
PROBE = r"""
(() => {
  const failed = document.getElementById(%(test_id)s);
  if (!failed) return {ready: false};
  const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const labels = (el) => {
    const out = [];
    for (let k = el.closest('.keyword'); k; k = k.parentElement.closest('.keyword')) {
      const label = k.querySelector(':scope > .element-header .label');
      out.push(label ? label.textContent.trim() : '?');
    }
    return out;
  };
  const describe = (el) => ({visible: seen(el), keywords: labels(el)});
  const messages = [...failed.querySelectorAll('td.message')];
  const find = (pattern) => messages.filter((m) => pattern.test(m.textContent)).map(describe);
  const maps = [...failed.querySelectorAll('svg.cpu-map')];
  const rect = failed.getBoundingClientRect();
  return {
    ready: document.readyState === 'complete'
      && !failed.querySelector(':scope > .element-header').classList.contains('closed'),
    size: failed.querySelectorAll('*').length,
    maps: maps.map((m) => Object.assign(describe(m),
                                        {leaked: m.querySelectorAll('g.cpu.leaked').length})),
    events: find(/CreateContainerError|FailedScheduling|Insufficient cpu/).filter(
      (d) => d.keywords.length > 0),
    evidence: find(/^Evidence when/),
    decisive: find(/^Decisive plugin lines/),
    teardown_open: [...failed.querySelectorAll(':scope > .children > .keyword')].some((k) => {
      const header = k.querySelector(':scope > .element-header');
      return header.querySelector('.label').textContent.trim() === 'TEARDOWN'
        && !header.classList.contains('closed');
    }),
    clip: {x: 0, y: rect.top + window.scrollY, width: document.documentElement.scrollWidth,
           height: rect.height},
  };
})()
"""


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def failed_test_id(output_xml: Path) -> tuple[str, str]:
    """(id, name) of the first failed test in the run."""
    for test in ExecutionResult(str(output_xml)).suite.all_tests:
        if test.status == "FAIL":
            return test.id, test.name
    raise SystemExit(f"{output_xml}: no failed test to look at")


async def _render(chromium: str, url: str, test_id: str, png: Path | None) -> dict:
    profile = tempfile.mkdtemp(prefix="nri-chromium-")
    proc = await asyncio.create_subprocess_exec(
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", f"--window-size={WIDTH},1000", "--remote-debugging-port=0", url,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        endpoint = None
        while endpoint is None:
            line = await asyncio.wait_for(proc.stderr.readline(), PAGE_TIMEOUT)
            if not line:
                raise RuntimeError("chromium exited before it offered a DevTools endpoint")
            found = re.search(rb"DevTools listening on (ws://\S+)", line)
            if found:
                endpoint = found.group(1).decode()
        port = re.search(r":(\d+)/", endpoint).group(1)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
                pages = [t for t in await answer.json() if t["type"] == "page"]
            async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                counter = iter(range(1, 1 << 30))

                async def call(method: str, **params) -> dict:
                    ident = next(counter)
                    await ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
                    while True:
                        message = json.loads((await ws.receive()).data)
                        if message.get("id") == ident:
                            if "error" in message:
                                raise RuntimeError(f"{method}: {message['error']}")
                            return message["result"]

                probe = PROBE % {"test_id": json.dumps(test_id)}
                deadline = asyncio.get_running_loop().time() + PAGE_TIMEOUT
                sizes: list[int] = []
                while True:  # log.html renders with JavaScript after load: wait until the test
                    # is open and its rendered content stopped growing (opening failed keywords)
                    result = await call("Runtime.evaluate", expression=probe, returnByValue=True)
                    state = result["result"].get("value") or {}
                    sizes.append(state.get("size", -1) if state.get("ready") else -1)
                    if len(sizes) >= 3 and sizes[-1] > 0 and sizes[-1] == sizes[-2] == sizes[-3]:
                        break
                    if asyncio.get_running_loop().time() > deadline:
                        raise RuntimeError(f"log.html did not render test {test_id} within {PAGE_TIMEOUT:g} s")
                    await asyncio.sleep(0.2)
                if png is not None:
                    clip = dict(state["clip"], scale=1)
                    shot = await call("Page.captureScreenshot", format="png", clip=clip,
                                      captureBeyondViewport=True)
                    png.parent.mkdir(parents=True, exist_ok=True)
                    png.write_bytes(base64.b64decode(shot["data"]))
                return state
    finally:
        proc.terminate()
        await proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def problems_in(state: dict) -> list[str]:
    """What a reader of the default view would miss."""
    def shown(items: list[dict]) -> list[dict]:
        return [i for i in items if i["visible"] and "TEARDOWN" not in i["keywords"]]

    problems = []
    if not [m for m in shown(state["maps"]) if m["leaked"] > 0]:
        problems.append(f"no visible CPU map with leaked CPUs outside the teardown (maps: {state['maps']})")
    for what in ("evidence", "events", "decisive"):
        if not shown(state[what]):
            problems.append(f"no visible {what} outside the teardown ({state[what]})")
    if state["teardown_open"]:
        problems.append("the teardown is open: the check must be of the default view")
    return problems


def check(results: Path, png: Path | None = None, chromium: str | None = None) -> list[str]:
    chromium = chromium or find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found (Debian: apt-get install chromium)")
    test_id, _ = failed_test_id(results / "output.xml")
    url = (results / "log.html").resolve().as_uri() + f"#{test_id}"
    state = asyncio.run(_render(chromium, url, test_id, png))
    return problems_in(state)


def run_failing_suite(outdir: Path) -> None:
    """The ten-step suite on the leak-on-remove model: it fails at step 05 (accounting corruption)."""
    subprocess.run([sys.executable, "-m", "robot", "--outputdir", str(outdir), "--loglevel", "DEBUG:INFO",
                    "--console", "none", "-v", "PLUGIN_MODEL:leak-on-remove",
                    str(ROOT / "suites" / "annotated_pod_state_corruption.robot")], cwd=ROOT, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="robot output directory (output.xml, log.html)")
    parser.add_argument("--run", action="store_true", help="first run the ten-step suite on leak-on-remove into it")
    parser.add_argument("--png", type=Path, help="save a screenshot of the failed test here")
    args = parser.parse_args()
    if args.run:
        run_failing_suite(args.results)
    problems = check(args.results, args.png)
    for problem in problems:
        print(f"NOT VISIBLE: {problem}")
    if not problems:
        print("The failure's evidence (CPU map with leaked CPUs, events, decisive plugin lines) is visible "
              "in the default view of log.html, outside the teardown.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
