"""A small OpenAI-compatible chat server on 127.0.0.1 for tests: replies from a script.

Each scripted step is a dict: {"content": "..."} (200), {"status": 429, "retry_after": 0},
{"status": 500}, {"sleep": 3} (slower than the client's timeout), {"raw": "not json"},
{"content": "...", "finish": "length"}. Every request body is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                step = fake.script.pop(0) if fake.script else {"status": 500}
                if "sleep" in step:
                    time.sleep(step["sleep"])
                    step = {"status": 500}
                status = step.get("status", 200)
                if "raw" in step:
                    data = step["raw"].encode()
                elif status != 200:
                    data = json.dumps(
                        {"error": {"message": f"fake {status}", "type": "fake"}}
                    ).encode()
                else:
                    data = json.dumps(
                        {
                            "id": "chatcmpl-fake",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body["model"],
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": step.get("finish", "stop"),
                                    "message": {"role": "assistant", "content": step["content"]},
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 10,
                                "completion_tokens": 10,
                                "total_tokens": 20,
                            },
                        }
                    ).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                if "retry_after" in step:
                    self.send_header("retry-after", str(step["retry_after"]))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
