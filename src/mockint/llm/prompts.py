"""Prompts are files in ``prompts/`` (YAML with Jinja2 templates), rendered strictly.

A missing variable is an error (``StrictUndefined``). Every grade records the prompt's name
and the hash of its file, so a changed prompt never reuses a cached or stored judgement.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import jinja2
import yaml

from mockint.config import packaged_path
from mockint.errors import ConfigError

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
    keep_trailing_newline=True,
    autoescape=False,
)


@dataclass(frozen=True)
class PromptFile:
    name: str
    hash: str
    templates: dict[str, str]

    def render(self, part: str, **values: object) -> str:
        if part not in self.templates:
            raise ConfigError(
                f"prompt {self.name!r} has no part {part!r}", where=f"prompts/{self.name}.yaml"
            )
        try:
            return _ENV.from_string(self.templates[part]).render(**values).strip()
        except jinja2.UndefinedError as exc:
            raise ConfigError(
                f"prompt {self.name}.{part}: {exc.message}",
                where=f"prompts/{self.name}.yaml",
                fix="pass every variable the template uses",
            ) from exc


@cache
def load_prompt(name: str) -> PromptFile:
    path = packaged_path("prompts") / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"prompt {name!r} not found", where=str(path), fix="reinstall mockint")
    raw = path.read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    templates = {
        k: v for k, v in data.items() if isinstance(v, str) and k not in ("name", "description")
    }
    return PromptFile(
        name=name, hash=hashlib.sha256(raw.encode()).hexdigest()[:12], templates=templates
    )
