"""Strict, disk-backed local implementations of the services the SDK talks to, on loopback.

Standard library only plus ``cassdk_like.core``; it never imports the client layers, so it stays an
independent peer that fails loudly on client mistakes::

    with Emulator(job_delay_scale=0) as emu:
        print(emu.endpoints, emu.appid, emu.secret_id, emu.secret_key)

From the shell: ``python -m cassdk_like.emulator --port 8390 --data-dir DIR`` (or ``cascmd serve``).

One host, several services, each on its own port (``emu.endpoints``: name -> base URL). Shared by
every service: ``handler`` (HTTP/1.1 socket side), ``pipeline`` (routing, faults, auth, operation,
error body), ``faults`` (fault rules and statistics), ``admin`` (``/_emulator/...`` on every port),
``db`` (sqlite index + blob files), ``wire`` (requests, responses), ``errors``; ``service`` is the
contract a service implements (:class:`Service`), ``host`` runs them, ``server`` is
:class:`Emulator`, ``cli`` the ``serve`` command. One sub-package per service: ``cas`` (vaults, both
dialects), ``objectstore`` with ``s3`` and ``cos``, ``reduct`` (ReductStore).
"""

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.faults import Faults, Stats
from cassdk_like.emulator.server import Emulator
from cassdk_like.emulator.service import Account, Environment, Route, Service, ServiceBase
from cassdk_like.emulator.wire import Request, Response

__all__ = [
    "Account",
    "ApiError",
    "Emulator",
    "Environment",
    "Faults",
    "Request",
    "Response",
    "Route",
    "Service",
    "ServiceBase",
    "Stats",
]
