"""Stands in for ``python -m llama_cpp.server`` in lifecycle tests: same flags, canned replies.

Like llama.cpp's server (pydantic settings), HOST and PORT in the environment win over
``--host``/``--port`` — the behaviour mockint must defend against. ``--bind-all`` listens on
every interface (a server gone wrong, for the address check).

GET /v1/models answers once it is up; POST /v1/chat/completions returns a JSON object with
one status per key point of the requested schema (or "ok"), and records nothing.
"""

from __future__ import annotations

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _send(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        schema = (body.get("response_format") or {}).get("schema") or {}
        content = (
            json.dumps({k: "covered" for k in schema.get("properties", {})}) if schema else "ok"
        )
        self._send(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--bind-all", action="store_true")
    args, _ = parser.parse_known_args()
    host = "0.0.0.0" if args.bind_all else os.environ.get("HOST", args.host)
    ThreadingHTTPServer((host, int(os.environ.get("PORT", args.port))), Handler).serve_forever()
