"""What every rule sees: the loaded repo, the settings, and where each object sits in its file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from reconciler.gitops.lint.settings import LintSettings
from reconciler.gitops.manifests import DesiredState, LoadResult, Manifest, Span
from reconciler.gitops.manifests.config import CONFIG_FILE
from reconciler.gitops.manifests.source import Document, JsonPath, parse_yaml

M = TypeVar("M", bound=Manifest)


@dataclass(frozen=True)
class HistoryScope:
    """Which commits the leak rules scan besides the working tree.

    `base` limits the scan to `base..HEAD` (the commits a pull request adds); `all_history`
    scans every commit reachable from HEAD, newest first, at most `max_commits` of them.
    Without either, the configured branch is the base when it exists.
    """

    base: str | None = None
    all_history: bool = False
    max_commits: int = 1000


class Locator:
    """Finds the source position of a JSON path inside the document that defined an object."""

    def __init__(self, root: Path, desired: DesiredState | None) -> None:
        self._root = root
        self._desired = desired
        self._documents: dict[str, dict[Span, Document]] = {}
        self._lines: dict[str, list[str]] = {}

    def span(self, obj: Manifest) -> Span:
        """Where the object is defined (its `metadata.name`, or line 1 of an HCL file)."""
        if self._desired is None:
            return Span(".", 1, 1)
        return self._desired.spans[obj.key]

    def lines(self, path: str) -> list[str]:
        """The lines of a file under the root (empty when unreadable)."""
        if path not in self._lines:
            try:
                text = (self._root / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[path] = text.splitlines()
        return self._lines[path]

    def _documents_of(self, path: str) -> dict[Span, Document]:
        if path not in self._documents:
            parsed = parse_yaml("\n".join(self.lines(path)), path)
            self._documents[path] = {
                doc.key_span(("metadata", "name")): doc for doc in parsed.documents
            }
        return self._documents[path]

    def at(self, obj: Manifest, path: JsonPath, *, at_key: bool = False) -> Span:
        """The span of `path` in the object's document; the object's span when not found."""
        span = self.span(obj)
        doc = self._documents_of(span.path).get(span)
        if doc is None:
            return span
        found = doc.spans.get(path) if not at_key else doc.key_spans.get(path)
        return found or span


@dataclass
class LintContext:
    """The repo being linted. `desired` is None when the manifests did not load."""

    root: Path
    result: LoadResult
    settings: LintSettings
    history: HistoryScope = field(default_factory=HistoryScope)
    locator: Locator = field(init=False)

    def __post_init__(self) -> None:
        self.locator = Locator(self.root, self.result.desired)

    @property
    def desired(self) -> DesiredState | None:
        """The loaded objects, or None."""
        return self.result.desired

    def of_kind(self, cls: type[M]) -> list[M]:
        """Every loaded object of one kind (none when loading failed)."""
        return self.desired.of_kind(cls) if self.desired is not None else []

    def objects(self) -> Iterator[Manifest]:
        """Every loaded object."""
        return iter(self.desired) if self.desired is not None else iter(())

    def anchor(self) -> Span | None:
        """Where repo-wide findings point: `sealkeep.yaml`, else the first manifest file."""
        if (self.root / CONFIG_FILE).is_file():
            return Span(CONFIG_FILE, 1, 1)
        if self.desired is not None and len(self.desired):
            return min(self.desired.spans.values())
        return None

    def config_span(self, path: JsonPath) -> Span | None:
        """The span of a key in `sealkeep.yaml`, or None when the file or the key is absent."""
        lines = self.locator.lines(CONFIG_FILE)
        parsed = parse_yaml("\n".join(lines), CONFIG_FILE) if lines else None
        if parsed is None or not parsed.documents:
            return None
        return parsed.documents[0].key_spans.get(path)
