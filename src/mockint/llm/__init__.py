"""The chat-model boundary (``client``: ``ChatModel.complete``, the OpenAI-compatible adapter, a
scripted fake), which backend is used (``backend``), the packaged local model behind llama.cpp's
server (``local``, ``llama_child``) and the prompt files (``prompts``)."""

from mockint.llm.backend import backend_kind, describe_model, resolve_backend
from mockint.llm.client import ChatModel, Completion, OpenAICompatModel, ScriptedModel

__all__ = [
    "ChatModel",
    "Completion",
    "OpenAICompatModel",
    "ScriptedModel",
    "backend_kind",
    "describe_model",
    "resolve_backend",
]
