"""Run a server module as mockint's child, and exit as soon as mockint is gone.

``python -m mockint.llm.llama_child MODULE ARGS…`` runs ``python -m MODULE ARGS…`` (for mockint,
``llama_cpp.server``) with a watchdog thread that ends the process when its parent
(``MOCKINT_PARENT_PID``) is no longer its parent —
also after a ``kill -9`` of mockint, when no exit handler runs — so a 1.9 GB model server is
never left behind.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time


def _watch(parent: int, every: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m mockint.llm.llama_child MODULE [ARGS...]")
    module = sys.argv[1]
    # the parent names itself (it may already be gone when this line runs)
    parent = int(os.environ.get("MOCKINT_PARENT_PID") or os.getppid())
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    sys.argv = [module] + sys.argv[2:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
