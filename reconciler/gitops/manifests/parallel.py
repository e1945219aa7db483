"""Parse many manifest files at once, spread over forked worker processes.

Parsing and schema validation are CPU work that holds the GIL, so a cold load of thousands
of files uses more than one core only through processes. Workers are forked (the schemas
already loaded, nothing re-imported) and send back each file's result as a cache entry
(`cache_codec.encode`), which the caller decodes exactly as it decodes a cache hit: a
parallel load and a serial one give the same results, and the entries go straight into the
cache. Nothing secret travels: manifests are read as committed (Secret values encrypted).

Only a single-threaded caller on Linux forks (forking a threaded process can deadlock the
child); anywhere else, or for a few files, the caller parses them itself.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from reconciler.gitops.manifests.cache_codec import CorruptEntry, encode
from reconciler.gitops.manifests.fileload import (
    FileLoad,
    decode_text,
    load_hcl_text,
    load_yaml_text,
    unreadable,
)
from reconciler.gitops.manifests.schema import SchemaSet, load_schemas
from reconciler.gitops.manifests.walk import Form

# Below this many files to parse, starting processes costs more than it saves.
PARALLEL_THRESHOLD = 256
_CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class Job:
    """A file to parse: its repo path, form, bytes and cache key."""

    rel: str
    form: Form
    raw: bytes
    key: str


def parse(job: Job, schemas: SchemaSet) -> FileLoad:
    """Parse and check one file in this process (an unreadable text is reported)."""
    try:
        text = decode_text(job.raw)
    except UnicodeDecodeError as exc:
        return unreadable(job.rel, exc)
    if job.form == "hcl":
        return load_hcl_text(text, job.rel)
    return load_yaml_text(text, job.rel, schemas)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether worker processes may be forked from this process now."""
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def _encode_chunk(chunk: list[Job]) -> list[bytes | None]:
    """In a worker: each file's result as a cache entry (None: the caller parses it)."""
    schemas = load_schemas()
    out: list[bytes | None] = []
    for job in chunk:
        try:
            out.append(encode(parse(job, schemas), job.rel))
        except (CorruptEntry, ValueError):
            out.append(None)
    return out


def encoded_in_workers(jobs: Sequence[Job]) -> Iterator[bytes | None] | None:
    """Each job's cache entry, in order, as forked workers finish them; None when a pool is
    not worth starting (few jobs, one CPU) or cannot be forked."""
    workers = _usable_cpus()
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2 or not can_fork():
        return None
    size = math.ceil(len(jobs) / (workers * _CHUNKS_PER_WORKER))
    return _stream([list(jobs[i : i + size]) for i in range(0, len(jobs), size)], workers)


def _stream(chunks: list[list[Job]], workers: int) -> Iterator[bytes | None]:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for entries in pool.map(_encode_chunk, chunks):
            yield from entries
