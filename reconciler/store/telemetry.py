"""The store's metrics, with Vault's names, kept in a prometheus-client registry per core.

`sys/metrics` renders them as Prometheus text (`?format=prometheus`) or as Vault's go-metrics
JSON (Gauges, Counters, Samples). Samples are in milliseconds, as Vault reports them.
Request timing sits on the hot path, so recording is one clock read and one observe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Summary, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class StateGauges:
    """Point-in-time values read from the core when metrics are collected."""

    unsealed: bool
    active: bool
    tokens: int
    leases: int
    mounts: dict[tuple[str, str], int]  # (type: auth|logical, local) -> entries


class _StateCollector(Collector):
    """Gauges computed at scrape time from a callback, so the hot path never updates them."""

    def __init__(self, read: Callable[[], StateGauges]) -> None:
        self._read = read

    def describe(self) -> list[GaugeMetricFamily]:
        # Registration asks for a description; answering here keeps it from collecting
        # (and so from reading the core) before the core is built.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self._read()
        yield GaugeMetricFamily("vault_core_unsealed", "1 when unsealed", value=int(state.unsealed))
        yield GaugeMetricFamily(
            "vault_core_active", "1 on the active node (HA)", value=int(state.active)
        )
        yield GaugeMetricFamily("vault_token_count", "Live tokens", value=state.tokens)
        yield GaugeMetricFamily("vault_expire_num_leases", "Live leases", value=state.leases)
        mounts = GaugeMetricFamily(
            "vault_core_mount_table_num_entries", "Mount table rows", labels=["type", "local"]
        )
        for (kind, local), count in sorted(state.mounts.items()):
            mounts.add_metric([kind, local], count)
        yield mounts


class Telemetry:
    """Every metric of one core. Names follow Vault's (`vault.core.handle_request` is
    `vault_core_handle_request` in Prometheus form)."""

    def __init__(self, read_state: Callable[[], StateGauges]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.handle_request = Summary(
            "vault_core_handle_request", "Time to serve a request (ms)", registry=r
        )
        self.handle_login_request = Summary(
            "vault_core_handle_login_request", "Time to serve a login (ms)", registry=r
        )
        self.route = Summary(
            "vault_route", "Time in a mount's backend (ms)", ["operation", "mount"], registry=r
        )
        self.in_flight = Gauge("vault_core_in_flight_requests", "Requests being served", registry=r)
        self.response_status = Counter(
            "vault_core_response_status_code", "Answers by status code", ["code"], registry=r
        )
        self.audit_request_failure = Counter(
            "vault_audit_log_request_failure", "Requests no audit device logged", registry=r
        )
        self.audit_response_failure = Counter(
            "vault_audit_log_response_failure", "Responses no audit device logged", registry=r
        )
        self.rate_limit_violation = Counter(
            "vault_quota_rate_limit_violation", "Requests refused by a rate limit", registry=r
        )
        self.barrier = Summary(
            "vault_barrier", "Storage operation through the barrier (ms)", ["op"], registry=r
        )
        r.register(_StateCollector(read_state))
        # Label children by their label values: `labels()` takes a lock and validates the
        # values on every call, and every request asks for two of them. Children are never
        # removed, so a remembered child is the one `labels()` would return.
        self._status_children: dict[int, Counter] = {}
        self._route_children: dict[tuple[str, str], Summary] = {}

    def status_counter(self, status: int) -> Counter:
        """The `vault_core_response_status_code` child counting answers with `status`."""
        child = self._status_children.get(status)
        if child is None:
            child = self._status_children[status] = self.response_status.labels(str(status))
        return child

    def route_summary(self, operation: str, route_prefix: str) -> Summary:
        """The `vault_route` child timing `operation` on the mount at `route_prefix`."""
        key = (operation, route_prefix)
        child = self._route_children.get(key)
        if child is None:
            child = self._route_children[key] = self.route.labels(
                operation, route_prefix.replace("/", "-")
            )
        return child

    @contextmanager
    def timing(self, summary: Summary) -> Iterator[None]:
        """Observe the block's duration, in milliseconds, on `summary`."""
        start = time.perf_counter()
        try:
            yield
        finally:
            summary.observe((time.perf_counter() - start) * 1000.0)

    def prometheus(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    def vault_json(self) -> dict[str, Any]:
        """Vault's go-metrics JSON shape: Timestamp, Gauges, Points, Counters, Samples."""
        gauges: list[dict[str, Any]] = []
        counters: list[dict[str, Any]] = []
        samples: list[dict[str, Any]] = []
        for family in self.registry.collect():
            for sample in family.samples:
                labels = dict(sample.labels)
                if family.type == "gauge":
                    gauges.append(
                        {"Name": _dotted(family.name), "Value": sample.value, "Labels": labels}
                    )
                elif family.type == "counter" and sample.name.endswith("_total"):
                    counters.append(_aggregate(family.name, sample.value, sample.value, labels))
                elif family.type == "summary" and sample.name.endswith("_count"):
                    total = _sum_of(family.samples, sample.labels)
                    samples.append(_aggregate(family.name, sample.value, total, labels))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime())
        return {"Timestamp": stamp, "Gauges": gauges, "Points": [], "Counters": counters,
                "Samples": samples}  # fmt: skip


def _dotted(name: str) -> str:
    """`vault_core_handle_request` -> `vault.core.handle_request` (Vault's JSON names)."""
    parts = name.split("_")
    if len(parts) <= 2:
        return ".".join(parts)
    return ".".join(parts[:2]) + "." + "_".join(parts[2:])


def _sum_of(samples: list[Any], labels: dict[str, str]) -> float:
    for sample in samples:
        if sample.name.endswith("_sum") and sample.labels == labels:
            return float(sample.value)
    return 0.0


def _aggregate(name: str, count: float, total: float, labels: dict[str, str]) -> dict[str, Any]:
    mean = total / count if count else 0.0
    return {"Name": _dotted(name), "Count": int(count), "Sum": total, "Mean": mean,
            "Labels": labels}  # fmt: skip


class TimedStorage:
    """A `Storage` that records each get/put/delete/list on `vault_barrier{op}` (ms) and
    passes everything else through to `inner`."""

    def __init__(self, inner: Any, telemetry: Telemetry) -> None:
        self._inner = inner
        self._get = telemetry.barrier.labels("get")
        self._put = telemetry.barrier.labels("put")
        self._delete = telemetry.barrier.labels("delete")
        self._list = telemetry.barrier.labels("list")

    def get(self, key: str) -> bytes | None:
        """Timed `get`."""
        start = time.perf_counter()
        try:
            return self._inner.get(key)  # type: ignore[no-any-return]
        finally:
            self._get.observe((time.perf_counter() - start) * 1000.0)

    def put(self, key: str, value: bytes) -> None:
        """Timed `put`."""
        start = time.perf_counter()
        try:
            self._inner.put(key, value)
        finally:
            self._put.observe((time.perf_counter() - start) * 1000.0)

    def delete(self, key: str) -> None:
        """Timed `delete`."""
        start = time.perf_counter()
        try:
            self._inner.delete(key)
        finally:
            self._delete.observe((time.perf_counter() - start) * 1000.0)

    def list(self, prefix: str) -> list[str]:
        """Timed `list`."""
        start = time.perf_counter()
        try:
            return self._inner.list(prefix)  # type: ignore[no-any-return]
        finally:
            self._list.observe((time.perf_counter() - start) * 1000.0)

    def transaction(self) -> Any:
        """The inner storage's transaction (its statements are not timed one by one)."""
        return self._inner.transaction()

    def close(self) -> None:
        """Close the inner storage."""
        self._inner.close()
