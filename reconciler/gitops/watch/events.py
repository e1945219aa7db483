"""File events from watchdog, filtered (no .git/, no editor temp files) and debounced."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePath

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from reconciler.gitops.gitsource import MANIFEST_SUFFIXES

IGNORED_DIRS = frozenset({".git", ".hg", ".svn", ".idea", ".vscode", "__pycache__", ".cache"})
TEMP_SUFFIXES = (
    "~", ".swp", ".swo", ".swx", ".swpx", ".tmp", ".temp", ".bak", ".orig", ".kate-swp",
    "___jb_tmp___", "___jb_old___", ".crswap",
)  # fmt: skip
TEMP_PREFIXES = (".#", ".~lock.", ".goutputstream-", "~$")


def is_editor_temp(name: str) -> bool:
    """Whether `name` is a file an editor writes while saving (vim, emacs, JetBrains, ...)."""
    if name == "4913" or (name.startswith("#") and name.endswith("#")):
        return True
    return name.endswith(TEMP_SUFFIXES) or name.startswith(TEMP_PREFIXES)


def is_relevant(path: str, root: Path, is_directory: bool = False) -> bool:
    """Whether a change at `path` can change the plan: a manifest file (or a folder) under
    `root`, outside VCS and editor folders, and not an editor's temporary file."""
    try:
        relative = PurePath(path).relative_to(root)
    except ValueError:
        return False
    if any(part in IGNORED_DIRS for part in relative.parts):
        return False
    if not relative.parts or is_editor_temp(relative.name):
        return False
    return is_directory or relative.name.endswith(MANIFEST_SUFFIXES)


class Debouncer:
    """Collects bursts of events: `wait_quiet` returns once `delay` seconds pass without one.

    Invariant: `pending` holds the relative paths touched since the last quiet period.
    """

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self.clock = clock
        self.cond = threading.Condition()
        self.last: float | None = None
        self.pending: set[str] = set()

    def touch(self, what: str) -> None:
        """Record an event now."""
        with self.cond:
            self.last = self.clock()
            self.pending.add(what)
            self.cond.notify_all()

    def wake(self) -> None:
        """Wake a waiter (to see that it should stop)."""
        with self.cond:
            self.cond.notify_all()

    def wait_quiet(self, stop: threading.Event) -> list[str] | None:
        """Block until a burst ended; its paths, sorted, or None once `stop` is set."""
        with self.cond:
            while not stop.is_set():
                if self.last is None:
                    self.cond.wait(0.5)
                    continue
                remaining = self.last + self.delay - self.clock()
                if remaining <= 0:
                    paths, self.pending, self.last = sorted(self.pending), set(), None
                    return paths
                self.cond.wait(remaining)
        return None


class ChangeHandler(FileSystemEventHandler):
    """Feeds relevant watchdog events under `root` to a Debouncer (paths relative to root)."""

    def __init__(self, root: Path, debouncer: Debouncer) -> None:
        self.root = root
        self.debouncer = debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Touch the debouncer for a write, create, delete or move of a relevant path."""
        if event.event_type in ("opened", "closed_no_write"):
            return
        # A folder is "modified" whenever an entry in it changes; the entry has its own event.
        if event.is_directory and event.event_type == "modified":
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        for raw in paths:
            path = raw.decode() if isinstance(raw, bytes) else raw
            if path and is_relevant(path, self.root, event.is_directory):
                self.debouncer.touch(PurePath(path).relative_to(self.root).as_posix())
