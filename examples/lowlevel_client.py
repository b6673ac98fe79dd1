"""The low level: ``CASClient`` returns raw ``HttpResponse`` objects and never raises on a status.

Use it when you want the status, headers and request id of every call, or to handle errors
yourself; ``CasAPI`` (the high level) wraps the same methods and raises typed errors instead.
"""

from __future__ import annotations

import contextlib
import os

from cassdk_like import CASClient
from cassdk_like.emulator import Emulator

VAULT = "lowlevel-example"

with contextlib.ExitStack() as stack:
    if os.environ.get("CAS_ENDPOINT"):  # your service: CASClient() reads the CAS_* settings
        client = stack.enter_context(CASClient(dialect=os.environ.get("CAS_DIALECT", "cas")))
    else:  # else a throw-away local emulator, so the example runs offline
        emu = stack.enter_context(Emulator(job_delay_scale=0.1))
        client = stack.enter_context(CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key))
    h = client.dialect.h  # header names of the dialect: h("archive-id") -> "x-cas-archive-id"

    response = client.create_vault(VAULT)
    print(f"create_vault: HTTP {response.status}, Location {response.headers.get('Location')}")
    print(f"  request id {response.request_id}")

    response = client.describe_vault(VAULT)
    print(f"describe_vault: HTTP {response.status}, {response.json()}")

    data = b"low-level bytes " * 4096
    response = client.upload_archive(VAULT, data, desc="uploaded with CASClient")  # hashes computed for us
    archive_id = response.headers[h("archive-id")]
    print(f"upload_archive: HTTP {response.status}, archive {archive_id[:16]}...")
    print(f"  tree hash {response.headers[h('sha256-tree-hash')]}")

    # a failure is a response too: look at it, or turn it into the typed exception
    response = client.describe_vault("no-such-vault")
    error = response.to_error()
    print(f"describe_vault(missing): HTTP {response.status}, {type(error).__name__}, code {error.code}")
    assert not response.ok

    assert client.delete_archive(VAULT, archive_id).status == 204
    assert client.delete_vault(VAULT).status == 204
    print(f"requests sent: {client.transport.request_count}")
    print("low-level example verified")
