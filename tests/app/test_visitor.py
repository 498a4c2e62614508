"""A preheated kernel gets its visitor's query string from Voila's server, without importing Voila."""

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import threading

import pytest
from tornado.web import Application
from tornado.websocket import WebSocketHandler

from explorer.app import dashboard
from explorer.app.visitor import request_url, wait_for_visitor


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tornado_server(handlers: list):
    """A tornado application with `handlers` on a free port of 127.0.0.1, in a thread; its port."""
    port, ready, state = free_port(), threading.Event(), {}

    def run():
        async def main():
            Application(handlers).listen(port, "127.0.0.1")
            state["stop"], state["loop"] = asyncio.Event(), asyncio.get_running_loop()
            ready.set()
            await state["stop"].wait()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield port
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(5)


@pytest.fixture
def server():
    """A stand-in for Voila's request-info websocket: sends `server["payload"]` to the kernel that
    connects to /voila/query/<kernel id> and records the ids."""
    state = {"payload": "{}", "ids": []}

    class Handler(WebSocketHandler):
        def open(self, kernel_id):
            state["ids"].append(kernel_id)
            self.write_message(state["payload"])

    with tornado_server([(r"/voila/query/(.*)", Handler)]) as port:
        state["port"] = port
        yield state


def preheat(monkeypatch, port):
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-42")
    monkeypatch.delenv("QUERY_STRING", raising=False)


def test_a_preheated_kernel_waits_for_its_visitors_query_string(server, monkeypatch):
    preheat(monkeypatch, server["port"])
    server["payload"] = json.dumps({"QUERY_STRING": "panel=perceptron&gate=xor", "PATH_INFO": "/"})
    assert dashboard.query_string() == "panel=perceptron&gate=xor"
    assert server["ids"] == ["k-42"]


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", ""])
def test_a_bad_message_from_the_server_gives_no_query(server, monkeypatch, payload):
    preheat(monkeypatch, server["port"])
    server["payload"] = payload
    assert wait_for_visitor() == {}
    assert dashboard.query_string() == ""


def test_an_unreachable_server_gives_no_query(monkeypatch):
    preheat(monkeypatch, free_port())
    assert wait_for_visitor() == {}


def test_the_url_follows_voilas_variables():
    env = {"VOILA_WS_PROTOCOL": "wss", "VOILA_APP_IP": "10.0.0.1", "VOILA_APP_PORT": "9000",
           "VOILA_SERVER_URL": "/user/ana/", "VOILA_KERNEL_ID": "abc"}
    assert request_url(env) == "wss://10.0.0.1:9000/user/ana/voila/query/abc"
    assert request_url({**env, "VOILA_WS_BASE_URL": "/ws/"}) == "wss://10.0.0.1:9000/ws/voila/query/abc"


def test_the_dashboard_does_not_import_voila():
    code = "import sys, explorer.app.dashboard; print('voila' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_server_without_the_handler_gives_no_query(monkeypatch):
    """A port that answers HTTP but has no request-info websocket (404): no query, no exception."""
    with tornado_server([]) as port:
        preheat(monkeypatch, port)
        assert wait_for_visitor() == {}
