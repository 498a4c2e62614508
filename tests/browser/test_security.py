"""What a visitor of the served dashboard must not get: the notebook's source, files beside it, or
code run in their kernel by a hand-made execute_request on the kernel's websocket."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import shoot
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

pytestmark = pytest.mark.browser

APP = Path(__file__).resolve().parents[2] / "explorer" / "app"
SOURCE = ("from explorer.app.dashboard import", "query_string", "apply_query", '"cells"',
          "nbformat")
# Paths a visitor might try for the notebook or the code beside it (sent as is, no normalizing).
PROBES = [
    "dashboard.ipynb", "files/dashboard.ipynb", "api/contents", "api/contents/dashboard.ipynb",
    "voila/files/dashboard.ipynb", "voila/files/dashboard.py", "voila/files/../dashboard.ipynb",
    "voila/files/%2e%2e/app/dashboard.ipynb", "voila/render/dashboard.ipynb",
    "voila/render/../dashboard.ipynb", "voila/tree", "voila/static/../dashboard.ipynb",
    "voila/templates/lab/static/../../../../dashboard.ipynb", "voila/api/themes/../dashboard.py",
    "voila/labextensions/../../dashboard.ipynb", "api/kernels", "api/sessions",
]
V1 = "v1.kernel.websocket.jupyter.org"


def cli(port: int) -> list[str]:
    """The product's own server command line."""
    return [sys.executable, "-m", "explorer.app.cli", "--no-browser", "--port", str(port),
            "--pool", "1"]


@pytest.fixture(scope="module")
def dashboard(chromium):  # with the browser tier: skipped (or required) with it
    url, proc = shoot.serve(APP, argv=cli)
    yield url
    shoot.stop(proc)


def get(url: str, path: str, hops: int = 3) -> tuple[int, str]:
    """GET `path` verbatim (following redirects within the server); (status, body)."""
    parts = urlsplit(url)
    for _ in range(hops):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        conn.close()
        location = response.getheader("Location")
        if response.status not in (301, 302, 307, 308) or not location:
            return response.status, body
        path = urlsplit(location).path or "/"
    return response.status, body


def test_page_has_no_notebook_source(dashboard):
    status, html = get(dashboard, "/")
    assert status == 200 and "kernelId" in html, html[:500]
    assert [s for s in SOURCE if s in html] == []


@pytest.mark.parametrize("path", PROBES)
def test_no_file_or_source_is_served(dashboard, path):
    status, body = get(dashboard, "/" + path)
    leaked = [s for s in SOURCE + ("class Dashboard", "def voila_args", "Traceback") if s in body]
    assert leaked == [], f"GET /{path} -> {status} shows {leaked}"
    # 403/404; Voila's template-file handler answers a malformed path with a bare 500 (its own
    # assert; nothing is read): refused all the same.
    assert status in (403, 404, 500), f"GET /{path} -> {status}: {body[:200]!r}"


def message(msg_type: str, content: dict) -> dict:
    """A Jupyter protocol v5 message as a frontend sends it on the shell channel."""
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "visitor",
              "session": uuid.uuid4().hex, "date": "", "version": "5.3"}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content,
            "buffers": [], "channel": "shell"}


def encode(msg: dict, protocol: str | None):
    if protocol == V1:
        parts = [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata",
                                                       "content")]
        return serialize_msg_to_ws_v1(parts, "shell")
    return json.dumps(msg)


def decode(raw, protocol: str | None) -> dict:
    if protocol == V1:
        channel, parts = deserialize_msg_from_ws_v1(raw)
        header, parent, _, content = (json.loads(p) for p in parts[:4])
        return {"channel": channel, "header": header, "parent_header": parent, "content": content}
    return json.loads(raw)


async def attack(ws_url: str, origin: str, protocol: str | None, code: str) -> dict:
    """Send kernel_info_request (allowed: proves the channel works) then execute_request `code`;
    return the replies seen in a few seconds, by the request's msg_type."""
    request = HTTPRequest(ws_url, headers={"Origin": origin})
    ws = await websocket_connect(request, subprotocols=[protocol] if protocol else None)
    info = message("kernel_info_request", {})
    run = message("execute_request", {"code": code, "silent": False, "store_history": False,
                                      "user_expressions": {}, "allow_stdin": False,
                                      "stop_on_error": True})
    ids = {info["header"]["msg_id"]: "kernel_info", run["header"]["msg_id"]: "execute"}
    seen: dict = {"kernel_info": [], "execute": []}
    for msg in (run, info):  # the execute first: the info reply shows it had its turn
        await ws.write_message(encode(msg, protocol), binary=protocol == V1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
        except asyncio.TimeoutError:
            break
        if raw is None:
            break
        reply = decode(raw, protocol)
        kind = ids.get(reply.get("parent_header", {}).get("msg_id"))
        if kind:
            seen[kind].append((reply["header"]["msg_type"], reply["content"]))
    ws.close()
    return seen


@pytest.mark.parametrize("protocol", [None, V1], ids=["json", "v1"])
def test_kernel_websocket_refuses_execute_request(dashboard, protocol):
    status, html = get(dashboard, "/")  # a visitor's page: it starts (takes) a kernel
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)
    base = urlsplit(dashboard)
    ws_url = (f"ws://{base.netloc}/api/kernels/{kernel_id}/channels"
              f"?session_id={uuid.uuid4()}")
    marker = Path(f"/tmp/nnx-exec-{uuid.uuid4().hex}")
    code = f"open({str(marker)!r}, 'w').write('ran')"
    seen = asyncio.run(attack(ws_url, f"http://{base.netloc}", protocol, code))
    try:
        kinds = [t for t, _ in seen["kernel_info"]]
        assert "kernel_info_reply" in kinds, f"no reply: the test's websocket is dead: {seen}"
        replies = [c.get("status") for t, c in seen["execute"] if t == "execute_reply"]
        assert "ok" not in replies, f"the kernel ran a visitor's code: {seen['execute']}"
        assert not marker.exists(), f"the kernel ran a visitor's code: {marker} was written"
    finally:
        marker.unlink(missing_ok=True)
