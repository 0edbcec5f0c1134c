"""A light client of a Gradio app over plain HTTP, for load tests: what the page's own JavaScript
does — join the queue (``POST …/queue/join``), then read the session's event stream (``GET
…/queue/data``) until the event completes — on one asyncio loop with httpx, without
gradio_client's per-client threads, heartbeats and automatic file downloads. Twenty browsers do
not share the server's two cores; twenty gradio_client instances in the bench's process do, so
with them the bench measured its own clients as much as the server.

Inputs and outputs follow gradio_client's convention: values for the endpoint's non-State inputs
(``None`` is sent for a gr.State, whose value the server keeps per session; missing trailing
values take the component's default), and the outputs
without State and layout components.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from gradio_client.utils import SKIP_COMPONENTS


class AppError(RuntimeError):
    """The app's function raised (the event completed with ``success: false``)."""


class GradioHTTP:
    def __init__(self, url: str, http: httpx.AsyncClient, config: dict):
        self.url, self.http = url.rstrip("/"), http
        self.prefix = self.url + (config.get("api_prefix") or "/gradio_api")
        self.components = {c["id"]: c for c in config["components"]}
        self.deps = {d["api_name"]: d for d in config["dependencies"] if d.get("api_name")}
        self._waiting: dict[str, dict[str, asyncio.Future]] = {}  # session -> event -> result
        self._early: dict[str, dict[str, dict]] = {}  # completed before their call registered
        self._readers: dict[str, asyncio.Task] = {}  # session -> the task reading its stream

    @classmethod
    async def connect(cls, url: str, http: httpx.AsyncClient) -> GradioHTTP:
        r = await http.get(url.rstrip("/") + "/config")
        r.raise_for_status()
        return cls(url, http, r.json())

    def _type(self, cid: int) -> str:
        return self.components[cid]["type"]

    def _skipped(self, cid: int) -> bool:
        c = self.components[cid]
        return c.get("skip_api", c["type"] in SKIP_COMPONENTS)

    def session(self) -> str:
        return uuid.uuid4().hex[:11]

    async def call(self, session: str, api_name: str, *args) -> list:
        """Run endpoint ``api_name`` in ``session`` and return its outputs. Several calls of one
        session may run at once (the page's timer beside an answer): as the page does, a session
        reads one event stream, and each result goes to the call that joined for it."""
        dep = self.deps[api_name.lstrip("/")]
        given, data = iter(args), []
        for i in dep["inputs"]:  # a missing trailing value: the component's own (as gradio_client)
            default = self.components[i].get("props", {}).get("value")
            data.append(None if self._type(i) == "state" else next(given, default))
        r = await self.http.post(
            self.prefix + "/queue/join",
            json={"data": data, "fn_index": dep["id"], "session_hash": session},
        )
        r.raise_for_status()
        event = r.json()["event_id"]
        waiting = self._waiting.setdefault(session, {})
        msg = self._early.get(session, {}).pop(event, None)  # completed before this line
        if msg is None:
            waiting[event] = asyncio.get_running_loop().create_future()
            if session not in self._readers:
                self._readers[session] = asyncio.create_task(self._read(session))
            try:
                msg = await waiting[event]
            finally:
                del waiting[event]
        out = msg.get("output") or {}
        if not msg.get("success"):
            raise AppError(out.get("error") or f"/{dep['api_name']} failed")
        return [d for d, cid in zip(out["data"], dep["outputs"]) if not self._skipped(cid)]

    async def _read(self, session: str) -> None:
        """The session's event stream: each completed event to the call waiting for it (or kept,
        when it completes before its call has registered); reopened while calls still wait."""
        waiting = self._waiting[session]
        try:
            while any(not f.done() for f in waiting.values()):
                async with self.http.stream(
                    "GET", self.prefix + "/queue/data", params={"session_hash": session}
                ) as stream:
                    async for line in stream.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        msg = json.loads(line[5:])
                        if msg.get("msg") != "process_completed":
                            continue
                        fut = waiting.get(msg.get("event_id"))
                        if fut is None:
                            self._early.setdefault(session, {})[msg.get("event_id")] = msg
                        elif not fut.done():
                            fut.set_result(msg)
        except Exception as exc:  # the stream failed: every call waiting on it fails with it
            for fut in waiting.values():
                if not fut.done():
                    fut.set_exception(AppError(f"the event stream failed: {exc!r}"))
        finally:
            del self._readers[session]

    async def fetch(self, file: dict) -> bytes:
        """The bytes of a file output (a FileData dict), as the page fetches an image."""
        r = await self.http.get(file["url"])
        r.raise_for_status()
        return r.content
