"""The work pool: slow work runs off the request lock, and a request that cannot get a
worker in time is refused with 503 instead of waiting for ever."""

from __future__ import annotations

import threading

import pytest

from reconciler.store.errors import Unavailable
from reconciler.store.slowwork import RequestLock, WorkPool, offload


def test_offloaded_work_lets_other_requests_take_the_lock() -> None:
    lock = RequestLock()
    pool = WorkPool(lock, workers=2, wait_limit=5.0)
    other_got_lock = threading.Event()

    def other_request() -> None:
        with lock:
            other_got_lock.set()

    def slow() -> bool:
        # Another request is served while this one's slow part runs.
        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()
        return other_got_lock.is_set()

    with lock, lock, pool.active():  # held twice over, as a nested call would
        assert offload(slow) is True
        assert not _free_for_another_thread(lock)  # taken back after the slow part
    assert _free_for_another_thread(lock)  # and released at its full depth
    pool.close()


def _free_for_another_thread(lock: RequestLock) -> bool:
    got: list[bool] = []

    def attempt() -> None:
        got.append(lock.acquire(timeout=0))
        if got[0]:
            lock.release()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return got[0]


def test_a_request_that_cannot_get_a_worker_in_time_is_refused() -> None:
    lock = RequestLock()
    pool = WorkPool(lock, workers=1, wait_limit=0.2)
    release = threading.Event()
    busy = threading.Thread(target=lambda: pool.run(release.wait))
    busy.start()
    ran = []
    try:
        with pytest.raises(Unavailable) as caught:
            pool.run(lambda: ran.append(1))
        assert caught.value.status == 503
        assert ran == []  # refused work never runs later either
    finally:
        release.set()
        busy.join()
        pool.close()
    assert ran == []


def test_without_a_request_pool_work_runs_inline() -> None:
    assert offload(lambda: threading.current_thread().name) == threading.current_thread().name
