"""Audit devices, HMAC of sensitive fields, the keyed hash chain and its checkpoints, verify
and query.

`AuditBroker` is what the core calls; `verify`, `verify_proved` (with a device's key and
checkpoints, `ChainMaterial`) and `query` work offline on the files.
"""

from reconciler.store.audit.broker import AuditBroker, DeviceEntry
from reconciler.store.audit.chain import ChainHead
from reconciler.store.audit.ledger import ChainMaterial
from reconciler.store.audit.proof import verify_proved
from reconciler.store.audit.query import QueryFilter, query
from reconciler.store.audit.verify import Problem, VerifyResult, verify, verify_files

__all__ = [
    "AuditBroker",
    "ChainHead",
    "ChainMaterial",
    "DeviceEntry",
    "Problem",
    "QueryFilter",
    "VerifyResult",
    "query",
    "verify",
    "verify_files",
    "verify_proved",
]
