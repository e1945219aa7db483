"""Decrypt many SOPS files at once, spread over worker processes.

Each file costs an age unwrap of its own data key, a YAML parse and its values; all of it is
CPU work that holds the GIL, so a plan that reads thousands of Secret files uses every core
only through processes. `decrypt_files` cuts the paths into chunks, hands them to a
`ProcessPoolExecutor` and yields one result per path, in the order given. The calling process
decrypts chunks too while the workers run, so on a machine whose other cores are busy the
call costs little more than a loop over `decrypt_file`. Every file is decrypted exactly as
`decrypt_file` does it (each MAC verified, each value with its AAD).

Where secrets travel: the parent sends the age identity strings to each worker once, when
the worker starts, and each worker sends back the decrypted documents (plaintext values and
data keys). Both go over the pipes `multiprocessing` creates between the parent and its own
children: unnamed, in memory, open to processes of the same user only; nothing is written to
disk. The workers exit when the iteration ends.

Workers start by `fork` (no re-import, so the pool is ready at once) when the parent runs a
single thread on Linux; with other threads running, `forkserver` (or `spawn`) is used, since
forking a threaded process can deadlock the child.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from pathlib import Path

from pyrage import x25519

from reconciler.gitops.sops.errors import SopsError
from reconciler.gitops.sops.file import DecryptedDocument, _read, decrypt_text
from reconciler.gitops.sops.keysources import age

Result = tuple[Path, DecryptedDocument | SopsError]
Chunk = list[tuple[Path, Path]]  # (absolute path to read, the caller's path to report)
_MAX_CHUNK = 64  # files per task: large enough to amortise the IPC, small enough to balance
_CHUNKS_PER_WORKER = 8
_QUEUED_PER_WORKER = 2  # chunks handed to each worker ahead; the rest the caller may take

# Set in each worker process by `_start_worker`: the identities, parsed once per worker.
_worker_identities: list[x25519.Identity] = []


def decrypt_files(
    paths: Iterable[Path], identities: Sequence[str] | None = None, workers: int | None = None
) -> Iterator[Result]:
    """Decrypt every file; yield `(path, document)` or `(path, error)` in the order given.

    A file that cannot be read, decrypted or verified yields its `SopsError` (the message
    names the file, as `decrypt_file`'s does) and the other files still decrypt. Identities
    are read and checked once, here: a malformed identity raises `NoIdentityError` at the
    call. `workers` is the number of processes that decrypt, this one included; it defaults
    to the CPUs this process may use, and with one (or a single file) no process is started.
    An unexpected fault (a bug, not a bad file) propagates from the iteration.
    """
    files = [Path(p) for p in paths]
    keys = list(age.load_identities() if identities is None else identities)
    parsed = age.parse_identities(keys)
    count = min(_usable_cpus() if workers is None else max(1, workers), len(files))
    if count <= 1:
        return _serial(files, parsed)
    size = max(1, min(_MAX_CHUNK, math.ceil(len(files) / (count * _CHUNKS_PER_WORKER))))
    chunks = [
        [(p.absolute(), p) for p in files[start : start + size]]
        for start in range(0, len(files), size)
    ]
    return _run_pool(chunks, keys, parsed, count - 1)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _serial(files: list[Path], parsed: list[x25519.Identity]) -> Iterator[Result]:
    for path in files:
        yield path, _decrypt_one(path, path, parsed)


def _decrypt_one(
    path: Path, shown: Path, parsed: list[x25519.Identity]
) -> DecryptedDocument | SopsError:
    """`decrypt_file(shown)`, reading `path` (the same file, maybe spelled absolute)."""
    try:
        return decrypt_text(_read(path, shown), str(shown), parsed)
    except SopsError as exc:
        return exc


def _run_pool(
    chunks: list[Chunk], keys: list[str], parsed: list[x25519.Identity], children: int
) -> Iterator[Result]:
    """Yield chunk results in order; the workers keep a few chunks queued, this process
    decrypts the next unassigned chunk whenever the one due is not ready yet."""
    pool = ProcessPoolExecutor(
        max_workers=children,
        mp_context=_start_context(),
        initializer=_start_worker,
        initargs=(keys,),
    )
    queued: dict[int, Future[list[Result]]] = {}
    done: dict[int, list[Result]] = {}
    assigned = 0
    try:
        for due in range(len(chunks)):
            while due not in done:
                while len(queued) < children * _QUEUED_PER_WORKER and assigned < len(chunks):
                    queued[assigned] = pool.submit(_decrypt_chunk, chunks[assigned])
                    assigned += 1
                if due in queued and (queued[due].done() or assigned == len(chunks)):
                    done[due] = queued.pop(due).result()
                else:
                    done[assigned] = _decrypt_chunk(chunks[assigned], parsed)
                    assigned += 1
                _collect(queued, done)
            yield from done.pop(due)
    finally:
        # An early `break` (or an error) drops the chunks not yet started.
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(queued: dict[int, Future[list[Result]]], done: dict[int, list[Result]]) -> None:
    """Move finished worker chunks from `queued` to `done` (a worker fault raises here)."""
    for index in [i for i, future in queued.items() if future.done()]:
        done[index] = queued.pop(index).result()


def _start_context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _start_worker(keys: list[str]) -> None:
    """Worker initializer: parse the identities once for every file this worker decrypts."""
    _worker_identities[:] = age.parse_identities(keys)


def _decrypt_chunk(chunk: Chunk, parsed: list[x25519.Identity] | None = None) -> list[Result]:
    """Decrypt one chunk (in a worker, with the identities its initializer parsed)."""
    identities = _worker_identities if parsed is None else parsed
    return [(shown, _decrypt_one(path, shown, identities)) for path, shown in chunk]
