"""A preheated kernel waits for its visitor: Voila hands it a page request over a websocket.

This is what `voila.utils.get_query_string` does, without importing Voila into every kernel (that
import takes about 2.5 s and 45 MB of each kernel's memory, for one websocket message).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading

from tornado.websocket import websocket_connect


def request_url(env: dict | None = None) -> str:
    """Where Voila's server tells this kernel about the request it serves (from Voila's variables)."""
    env = os.environ if env is None else env
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    return (f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
            f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID', '')}")


async def _receive(url: str) -> str | None:
    try:
        connection = await websocket_connect(url, connect_timeout=5)
    except Exception:  # refused, timed out, not found: no request info, the page still works
        return None
    try:
        return await connection.read_message()
    finally:
        connection.close()


def wait_for_visitor(url: str | None = None) -> dict[str, str]:
    """Block until the server hands this kernel a visitor; put the request's variables
    (QUERY_STRING, ...) into the environment and return them ({} if the server cannot be reached)."""
    found = []
    worker = threading.Thread(target=lambda: found.append(asyncio.run(_receive(url or request_url()))))
    worker.start()
    worker.join()
    try:
        info = json.loads(found[0]) if found and found[0] else {}
    except ValueError:
        info = {}
    info = {str(k): str(v) for k, v in info.items()} if isinstance(info, dict) else {}
    os.environ.update(info)
    return info
