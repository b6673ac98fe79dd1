"""The world the bad-input table runs in: emulators, vaults, buckets, a finished job, fake servers, snapshots.

One ``World`` per vault dialect and one ``BucketWorld`` per bucket dialect (S3, COS) is shared by
every case of the module (building it costs a few requests);
each case gets fresh ``Folders`` (a source folder, and a destination folder holding one existing
file with known bytes and an old mtime) and may start its own misbehaving servers, which the
world stops after the case.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import attrs

from cassdk_like import CasAPI, CASClient, Job, RetryPolicy, TransferConfig, Vault, tree_hash
from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.direct import DirectIO
from cassdk_like.emulator import Emulator
from cassdk_like.engine import partial_paths
from cassdk_like.par import PARKeyPair
from cassdk_like.reduct import Bucket as ReductBucket
from cassdk_like.reduct import Client as ReductStoreClient
from tests.reliability.badinput_servers import Answer, ScriptedServer

MiB = 1024 * 1024
#: archive size in the world: not a multiple of 1 MiB, so "past the end" and alignment matter
ARCHIVE_SIZE = 2 * MiB + 100
#: retries are few and instant in the table: every "after retries" case stays fast
QUICK_RETRY = RetryPolicy(total_attempts=2, backoff_base=0.0, backoff_cap=0.0)
QUICK = TransferConfig(retry_policy=QUICK_RETRY, hash_attempts=2, poll_interval=0.01, journal_interval=0)
#: the bucket world's object: several 1 MiB pieces, the last one short
OBJECT_SIZE = 3 * MiB + 100
OBJECT_KEY = "data/object.bin"
COS_REGION = "ap-guangzhou"
#: the ReductStore world's init token and the timestamp (µs) of its one record
REDUCT_TOKEN = "bad-inputs-reduct-init-token"
REDUCT_TS = 1_700_000_000_000_000
#: the DirectIO file of the direct rows: this many blocks of this size (the last one short)
DIRECT_BLOCKS = 3
DIRECT_BLOCK_SIZE = 64 * 1024
#: an mtime far in the past: a rewrite of the existing destination file could not keep it by chance
OLD_MTIME_NS = 1_500_000_000 * 10**9


def pattern(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


@attrs.define
class Folders:
    """Per-case folders: ``src`` for inputs, ``dest`` for outputs (holding ``existing``)."""

    src: Path
    dest: Path
    existing: Path
    existing_bytes: bytes

    @classmethod
    def make(cls, root: Path) -> Folders:
        src, dest = root / "src", root / "dest"
        src.mkdir()
        dest.mkdir()
        (dest / "sub").mkdir()
        existing = dest / "existing.bin"
        data = b"the bytes a failed download must not touch\n" * 100
        existing.write_bytes(data)
        os.utime(existing, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
        return cls(src, dest, existing, data)

    def file(self, name: str, size: int, seed: int = 3) -> Path:
        path = self.src / name
        path.write_bytes(pattern(size, seed))
        return path


Snapshot = Dict[str, Tuple[str, int, int, str]]


def snapshot(folder: Path) -> Snapshot:
    """Every entry under ``folder``: kind, size, mtime (ns) and, for files, the SHA-256 of the bytes."""
    found: Snapshot = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            kind = "dir" if path.is_dir() else "file" if path.is_file() else "other"
            found[str(path.relative_to(folder))] = (kind, info.st_size, info.st_mtime_ns, digest)
    return found


def resumable_leftovers(folder: Path, dest: Optional[Path]) -> List[str]:
    """Names a failed download may leave for a later resume: ``<dest>.cassdk-partial`` and its journal."""
    if dest is None:
        return []
    return [str(Path(p).relative_to(folder)) for p in partial_paths(dest)]


@attrs.define
class World:
    """Shared state of one dialect; ``stack`` holds the current case's servers and clients."""

    dialect: str
    emu: Emulator
    slow: Emulator
    api: CasAPI
    slow_api: CasAPI
    vault: Vault
    slow_vault: Vault
    archive_id: str
    archive_data: bytes
    job: Job
    servers: List[ScriptedServer] = attrs.Factory(list)
    stack: contextlib.ExitStack = attrs.Factory(contextlib.ExitStack)

    @property
    def h(self) -> Callable[[str], str]:
        return self.api.dialect.h

    def sent(self) -> int:
        """Requests that reached any server of this world so far."""
        total = self.emu.stats.total_requests + self.slow.stats.total_requests
        return total + sum(server.count for server in self.servers)

    def client(self, emu: Optional[Emulator] = None, **kwargs: Any) -> CasAPI:
        """A CasAPI on an emulator (default: the main one) with quick retries; overrides in kwargs."""
        target = emu or self.emu
        options: Dict[str, Any] = {
            "secret_id": target.secret_id,
            "secret_key": target.secret_key,
            "retry_policy": QUICK_RETRY,
            "dialect": self.dialect,
        }
        options.update(kwargs)
        endpoint = options.pop("endpoint", target.endpoint)
        client = CASClient(endpoint, target.appid, **options)
        self.stack.callback(client.close)
        return CasAPI(client)

    def fake(self, answer: Answer) -> CasAPI:
        """A CasAPI whose every request goes to a scripted server answering with ``answer``."""
        server = self.stack.enter_context(ScriptedServer(answer))
        self.servers.append(server)
        return self.client(endpoint=server.endpoint)

    def end_case(self) -> None:
        self.stack.close()
        self.stack = contextlib.ExitStack()
        self.servers.clear()
        for emu in (self.emu, self.slow):
            emu.faults.reset()


@attrs.define
class BucketWorld:
    """Shared state of one bucket dialect ("s3" or "cos"): a bucket holding ``OBJECT_KEY``."""

    dialect: str
    emu: Emulator
    api: BucketAPI
    bucket: Bucket
    data: bytes
    servers: List[ScriptedServer] = attrs.Factory(list)
    stack: contextlib.ExitStack = attrs.Factory(contextlib.ExitStack)
    #: the recipient's key pair for the PAR rows
    par_pair: PARKeyPair = attrs.Factory(PARKeyPair.generate)

    def sent(self) -> int:
        """Requests that reached the emulator or this case's scripted servers so far."""
        return self.emu.stats.total_requests + sum(server.count for server in self.servers)

    def client(self, *, secret_key: Optional[str] = None, endpoint: Optional[str] = None) -> BucketAPI:
        """A BucketAPI with quick retries, on the emulator unless ``endpoint`` is given."""
        made = bucket_client(self.emu, self.dialect, secret_key=secret_key, endpoint=endpoint)
        self.stack.callback(made.close)
        return BucketAPI(made)

    def other(self, api: BucketAPI) -> Bucket:
        """The world's bucket through another API handle (no request)."""
        return Bucket(api, self.bucket.name)

    def fake(self, answer: Answer) -> Bucket:
        """The world's bucket on a scripted server answering every request with ``answer``."""
        server = self.stack.enter_context(ScriptedServer(answer))
        self.servers.append(server)
        return self.other(self.client(endpoint=server.endpoint))

    def end_case(self) -> None:
        self.stack.close()
        self.stack = contextlib.ExitStack()
        self.servers.clear()
        self.emu.faults.reset()


def bucket_client(
    emu: Emulator, dialect: str, *, secret_key: Optional[str] = None, endpoint: Optional[str] = None
) -> BucketClient:
    key = secret_key or emu.secret_key
    if dialect == "s3":
        url = endpoint or emu.endpoints["s3"]
        return S3Client(url, emu.secret_id, key, region="us-east-1", retry_policy=QUICK_RETRY)
    url = endpoint or emu.endpoints["cos"]
    return COSClient(COS_REGION, emu.appid, emu.secret_id, key, endpoint=url, retry_policy=QUICK_RETRY)


def local_vault(api: CasAPI, name: str = "v1") -> Vault:
    """A Vault object built without a request (the fake servers know no vaults)."""
    return Vault(api, {"VaultName": name})


def finished_job(vault: Vault, data: bytes, job_id: str = "job-1", **props: Any) -> Job:
    """A Succeeded archive-retrieval job of ``data``, built without a request."""
    doc: Dict[str, Any] = {
        "JobId": job_id,
        "Action": "ArchiveRetrieval",
        "StatusCode": "Succeeded",
        "Completed": True,
        "ArchiveId": "archive-1",
        "ArchiveSizeInBytes": len(data),
        "ArchiveSHA256TreeHash": tree_hash(data),
        "SHA256TreeHash": tree_hash(data),
        "RetrievalByteRange": f"0-{len(data) - 1}",
    }
    doc.update(props)
    return Job(vault, doc)


@attrs.define
class ReductWorld:
    """The ReductStore world: a client with the init token and a bucket holding one record at
    ``REDUCT_TS``; ``token`` must appear in no message either."""

    dialect: str
    emu: Emulator
    client: ReductStoreClient
    bucket: ReductBucket
    token: str

    def sent(self) -> int:
        return self.emu.stats.total_requests

    def end_case(self) -> None:
        self.emu.faults.reset()


@attrs.define
class DirectWorld:
    """The DirectIO world: a client with the default access key pair and one published file of
    ``DIRECT_BLOCKS`` blocks; ``secret`` (the secret access key) must appear in no message."""

    dialect: str
    emu: Emulator
    dio: DirectIO
    file_id: int
    access_key_id: str
    secret: str

    @property
    def url(self) -> str:
        return self.emu.endpoints["direct"]

    def sent(self) -> int:
        return self.emu.stats.total_requests

    def end_case(self) -> None:
        self.emu.faults.reset()


AnyWorld = Union[World, BucketWorld, ReductWorld, DirectWorld]


@contextlib.contextmanager
def build_worlds() -> Iterator[Mapping[str, AnyWorld]]:
    """Both vault dialects' worlds over one fast emulator (jobs finish at once) and one slow one;
    both bucket dialects' worlds and the ReductStore world over a third (its COS region and
    ReductStore init token set)."""
    with contextlib.ExitStack() as stack:
        emu = stack.enter_context(Emulator(job_delay_scale=0))
        slow = stack.enter_context(Emulator(job_delay_scale=1000))
        objects = stack.enter_context(
            Emulator(job_delay_scale=0, region=COS_REGION, reduct_api_token=REDUCT_TOKEN)
        )
        worlds: Dict[str, AnyWorld] = {}
        clients: List[Any] = []
        data = pattern(ARCHIVE_SIZE, seed=11)
        for dialect in ("cas", "glacier"):
            apis = []
            for target in (emu, slow):
                client = CASClient(
                    target.endpoint, target.appid, target.secret_id, target.secret_key, dialect=dialect
                )
                clients.append(client)
                apis.append(CasAPI(client))
            vault = Vault.create(apis[0], f"bad-{dialect}")
            slow_vault = Vault.create(apis[1], f"slow-{dialect}")
            archive_id = apis[0].upload_archive(vault.name, data)[apis[0].dialect.h("archive-id")]
            job = vault.retrieve_archive(archive_id)
            assert job.status_code == "Succeeded", job
            worlds[dialect] = World(
                dialect, emu, slow, apis[0], apis[1], vault, slow_vault, archive_id, data, job
            )
        content = pattern(OBJECT_SIZE, seed=13)
        for dialect in ("s3", "cos"):
            made = bucket_client(objects, dialect)
            clients.append(made)
            api = BucketAPI(made)
            bucket = Bucket.create(api, "bad-inputs")
            bucket.put(OBJECT_KEY, content)
            worlds[dialect] = BucketWorld(dialect, objects, api, bucket, content)
        reduct = ReductStoreClient(objects.endpoints["reduct"], api_token=REDUCT_TOKEN, timeout=30)
        clients.append(reduct)
        records = reduct.create_bucket("bad-inputs")
        records.write("sensor", b"21.5", REDUCT_TS, labels={"unit": "c"})
        worlds["reduct"] = ReductWorld("reduct", objects, reduct, records, REDUCT_TOKEN)
        pair = objects.direct.default_credentials
        file_id = objects.direct.publish_file(
            pattern(DIRECT_BLOCKS * DIRECT_BLOCK_SIZE - 100, seed=17), block_size=DIRECT_BLOCK_SIZE
        )
        dio = DirectIO(
            objects.endpoints["direct"],
            pair.access_key_id,
            pair.secret_access_key,
            retry_policy=QUICK_RETRY,
            environ={},
        )
        clients.append(dio)
        worlds["direct"] = DirectWorld(
            "direct", objects, dio, file_id, pair.access_key_id, pair.secret_access_key
        )
        try:
            yield worlds
        finally:
            for client in clients:
                client.close()
