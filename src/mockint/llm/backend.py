"""Which chat model to use: the OpenAI-compatible endpoint, the local model, or none.

``backend_kind`` decides from the configuration (flag / environment / config file → a key or
URL in the environment → the local model when installed → none) without starting anything;
``resolve_backend`` builds the model; ``describe_model`` says which one is in use.
"""

from __future__ import annotations

from mockint.config import Config
from mockint.errors import ConfigError
from mockint.llm.client import ChatModel, OpenAICompatModel


def _local(config: Config) -> ChatModel:
    from mockint.llm import gguf
    from mockint.llm.local import LocalChatModel

    if not gguf.server_installed():
        raise ConfigError(
            "the local backend needs llama-cpp-python, which is not installed",
            fix=gguf.INSTALL_FIX,
        )
    path = gguf.model_path(config.local_model, config.home)
    return LocalChatModel(
        path,
        threads=config.local_threads,
        n_ctx=config.local_ctx,
        timeout=max(config.llm_timeout, 120.0),
        retries=config.llm_retries,
        log_path=config.home / "local-llm.log",
    )


def backend_kind(config: Config) -> str:
    """Which backend ``resolve_backend`` will use: openai | local | none (nothing is started).

    Order: the explicit ``llm`` setting (flag, env, config file) → an API key or base URL in
    the environment → the local model when it is installed → offline grading.
    """
    if config.llm != "auto":
        return config.llm
    if config.api_key or config.base_url:
        return "openai"
    from mockint.llm import gguf

    return "local" if gguf.available(config.local_model) else "none"


def resolve_backend(config: Config) -> ChatModel | None:
    """The chat model for ``backend_kind(config)``, or None for offline grading. The local
    server itself starts on the first request."""
    kind = backend_kind(config)
    if kind == "none":
        return None
    if kind == "local":
        return _local(config)
    if not (config.api_key or config.base_url):
        raise ConfigError(
            "the openai backend needs OPENAI_API_KEY or OPENAI_BASE_URL",
            fix="export OPENAI_API_KEY=… (and OPENAI_BASE_URL for another endpoint)",
        )
    return OpenAICompatModel(
        config.model,
        base_url=config.base_url,
        api_key=config.api_key,
        timeout=config.llm_timeout,
        retries=config.llm_retries,
    )


def describe_model(model: ChatModel | None, config: Config) -> str:
    """One line for the CLI/UI: which LLM is active, or that grading is offline."""
    if model is None:
        return "LLM: none (offline grading)"
    return f"LLM: {model.describe(config.base_url)}"
