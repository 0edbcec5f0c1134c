"""LLM replies cached on disk by (model, prompt hash, messages): a re-grade asks nothing twice. One
JSON file per reply, written atomically; an unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


class DiskCache:
    def __init__(self, folder: Path | None):
        self.folder = folder

    def key(self, *parts: object) -> str:
        return hashlib.sha256(
            json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()

    def get(self, key: str) -> str | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))["text"]
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, text: str) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.tmp"
        tmp.write_text(json.dumps({"text": text}), encoding="utf-8")
        tmp.replace(self.folder / f"{key}.json")
