"""`sealkeep watch`: validate and re-plan a working tree on every change, showing only what
changed since the last plan; optionally apply to a development store.

Events come from watchdog (events.py), are filtered and debounced; each cycle (watcher.py)
is reduced to a Snapshot and compared with the previous one (delta.py), then rendered
(render.py).
"""

from reconciler.gitops.watch.delta import Delta, Snapshot, compare, snapshot_of
from reconciler.gitops.watch.events import Debouncer, is_editor_temp, is_relevant
from reconciler.gitops.watch.watcher import NotADevelopmentStore, Watcher, WatchOptions, WatchReport

__all__ = [
    "Debouncer",
    "Delta",
    "NotADevelopmentStore",
    "Snapshot",
    "WatchOptions",
    "WatchReport",
    "Watcher",
    "compare",
    "is_editor_temp",
    "is_relevant",
    "snapshot_of",
]
