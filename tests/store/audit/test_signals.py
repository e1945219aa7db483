"""A real SIGHUP, sent to this process, reopens the audit file after a rotation."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from reconciler.store.audit.signals import install_sighup_reopen
from reconciler.store.audit.verify import verify_files
from tests.store.audit.support import file_broker, lines, read_request


def test_sighup_reopens_after_rename(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    previous = signal.getsignal(signal.SIGHUP)
    try:
        install_sighup_reopen(broker)
        broker.log_request(read_request(), None)
        log.rename(tmp_path / "audit.log.1")
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not log.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        broker.log_request(read_request(), None)
    finally:
        signal.signal(signal.SIGHUP, previous)
        broker.close()
    assert len(lines(log)) == 1
    results = verify_files([str(tmp_path / "audit.log.1"), str(log)])
    assert all(r.ok for r in results)
