"""SIGHUP reopens every audit file, so logrotate's rename-then-HUP loses no entry."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from reconciler.store.audit.broker import AuditBroker


def install_sighup_reopen(broker: AuditBroker) -> None:
    """Make SIGHUP call `broker.reopen()`. Call from the main thread (a Python rule).

    The reopen runs on a short-lived thread: the handler itself runs between bytecodes of the
    main thread, which may hold a device lock mid-write, and reopening there would deadlock.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=broker.reopen, name="audit-reopen", daemon=True).start()

    signal.signal(signal.SIGHUP, handler)
