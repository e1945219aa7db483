"""Audit devices, HMAC of sensitive fields, the tamper-evident hash chain, verify and query.

`AuditBroker` is what the core calls; `verify` and `query` work offline on the files.
"""

from reconciler.store.audit.broker import AuditBroker, DeviceEntry
from reconciler.store.audit.chain import ChainHead
from reconciler.store.audit.query import QueryFilter, query
from reconciler.store.audit.verify import Problem, VerifyResult, verify, verify_files

__all__ = [
    "AuditBroker",
    "ChainHead",
    "DeviceEntry",
    "Problem",
    "QueryFilter",
    "VerifyResult",
    "query",
    "verify",
    "verify_files",
]
