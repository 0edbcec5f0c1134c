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
        """Run endpoint ``api_name`` in ``session`` and return its outputs."""
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
        async with self.http.stream(
            "GET", self.prefix + "/queue/data", params={"session_hash": session}
        ) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") != event or msg.get("msg") != "process_completed":
                    continue
                out = msg.get("output") or {}
                if not msg.get("success"):
                    raise AppError(out.get("error") or f"/{dep['api_name']} failed")
                return [d for d, cid in zip(out["data"], dep["outputs"]) if not self._skipped(cid)]
        raise AppError(f"/{dep['api_name']}: the event stream ended before the result")

    async def fetch(self, file: dict) -> bytes:
        """The bytes of a file output (a FileData dict), as the page fetches an image."""
        r = await self.http.get(file["url"])
        r.raise_for_status()
        return r.content
