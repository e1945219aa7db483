"""sys/key-status, sys/rotate, sys/seal and sys/step-down."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.framework import FieldData, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.timefmt import rfc3339nano

if TYPE_CHECKING:
    from reconciler.store.core import Core

READ, UPDATE = Operation.READ, Operation.UPDATE


def paths(core: Core) -> list[PathSpec]:
    """Keyring and seal control."""

    def key_status(_req: Request, _data: FieldData) -> Response:
        status = core.barrier.key_status()
        data = {
            "term": status.term,
            "install_time": rfc3339nano(status.install_time),
            "encryptions": status.encryptions,
        }
        return Response(data=data, inject_top_level=True)

    def rotate(_req: Request, _data: FieldData) -> None:
        core.barrier.rotate()

    def seal(_req: Request, _data: FieldData) -> None:
        core.request_seal()

    def step_down(_req: Request, _data: FieldData) -> None:
        core.step_down()  # a single node is always active: nothing to hand over

    return [
        PathSpec(r"key-status", {READ: key_status}),
        PathSpec(r"rotate", {UPDATE: rotate}, sudo=True),
        PathSpec(r"seal", {UPDATE: seal}, sudo=True),
        PathSpec(r"step-down", {UPDATE: step_down}, sudo=True),
    ]
