"""An embedded store: the real server on a loopback port, in this process, on SQLite."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from reconciler.server.app import create_app
from reconciler.store.core import Core
from reconciler.store.storage.factory import open_storage


@dataclass(frozen=True)
class EmbeddedStore:
    """Where the embedded store listens and its root token (for the operator's steps)."""

    url: str
    root_token: str
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _initialised_core(data_dir: Path) -> tuple[Core, str]:
    core = Core(open_storage("sqlite", {"path": str(data_dir / "store.db")}))
    keys, root_token = core.initialize(1, 1)
    core.seal.submit(keys[0].hex(), reset=False)
    core.after_unseal()
    return core, root_token


@contextmanager
def embedded_store(data_dir: Path) -> Iterator[EmbeddedStore]:
    """Start a fresh store in `data_dir`, serve it on 127.0.0.1, stop and seal it after."""
    data_dir.mkdir(parents=True, exist_ok=True)
    core, root_token = _initialised_core(data_dir)
    port = _free_port()
    config = uvicorn.Config(
        create_app(core), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sealkeep-embedded", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the embedded store did not start")
        time.sleep(0.02)
    try:
        yield EmbeddedStore(f"http://127.0.0.1:{port}", root_token, data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        core.close()
