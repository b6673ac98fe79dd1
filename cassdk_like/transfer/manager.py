"""``TransferManager``: destinations, manifests and transfers kept in a state folder, sent by a
bounded set of worker threads (docs/transfer.md).

Why its own threads: each worker sends one whole file through a destination, and a bucket's
multipart upload coordinates its parts from the calling thread while the parts run on the engine's
shared scheduler; a scheduler task may not start a transfer of its own (``engine.scheduler``), so
the file-level workers live here and the part-level work stays on the shared scheduler.

Scheduling (docs/transfer.md §4): a free worker takes the next file from the destination's lane
chosen by ``LaneShare``, and within that lane from the transfer of lowest ``priority`` (ties:
the older transfer).  A file's bytes are paced as they go out (a part, a small object or a copy
chunk at a time) by the transfer's own limiter (``sendRateMax`` of the transfer) and the
destination's (``sendRateMax`` of the destination) together, as one ``JointLimiter`` that looks
the two up on every payment so live changes apply to files in flight.  Rates are bytes per second.

Durability (docs/transfer.md §5): every finished file is recorded in memory and written to the
state database at most ``checkpoint_seconds`` apart, at suspend, at the end and at ``close``; after
a crash a new manager on the same folder resumes each unfinished transfer from its last
checkpoint, so at most the files finished since then plus one file per worker go out again.
"""

from __future__ import annotations

import collections
import logging
import os
import secrets
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Set, Tuple, TypeVar, Union

import attrs

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import CASError, TransferCancelledError
from cassdk_like.engine import TransferConfig, positive_int
from cassdk_like.engine.ratelimit import BandwidthLimiter, JointLimiter
from cassdk_like.transfer.destinations import (
    Address,
    ConnectionSettings,
    Destination,
    open_destination,
    parse_address,
    resolve_settings,
)
from cassdk_like.transfer.errors import (
    InvalidManifestError,
    InvalidTransferArgumentError,
    TransferError,
    TransferFailedError,
    TransferNotFoundError,
    TransferStateError,
)
from cassdk_like.transfer.lanes import (
    DEFAULT_LANE,
    DEFAULT_LANES,
    LaneShare,
    check_lane_change,
    validate_lanes,
)
from cassdk_like.transfer.manifests import FILETYPE_DIRECTORY, MappingSpec, expand, parse_mappings
from cassdk_like.transfer.options import (
    DEFAULT_DEFAULTS,
    OVERWRITE_ALWAYS,
    OVERWRITE_NEVER,
    check_options,
    check_rate,
    check_user_data,
)
from cassdk_like.transfer.store import (
    DONE,
    PENDING,
    SKIPPED,
    DestinationRecord,
    FileEntry,
    ManifestRecord,
    Store,
    TransferRecord,
)
from cassdk_like.transfer.tokens import TOKEN_PREFIX, SharedTokenInfo, SharedTokens

__all__ = [
    "DestinationInfo",
    "ManifestInfo",
    "TransferInfo",
    "TransferManager",
]

log = logging.getLogger("cassdk_like.transfer")

ACTIVE = ("queued", "transferring", "suspending")
FINISHED = ("complete", "failed")
_MANIFEST_BATCH = 500
_RETRY_PAUSE = 0.5


@attrs.frozen
class DestinationInfo:
    """A destination as the manager describes it (rates in bytes/s)."""

    id: str
    address: str
    profile: str
    send_rate_max: Optional[float]
    priority_lanes: Dict[str, float]
    defaults: Dict[str, Any]
    exclusive: bool
    permanent: bool
    created: float
    user_data: Dict[str, str]


@attrs.frozen
class ManifestInfo:
    """A manifest as the manager describes it: its walk's ``status`` (processing, complete, error)."""

    id: str
    status: str
    file_count: int
    total_size: int
    symlink_options: int
    error: Optional[str]
    created: float
    user_data: Dict[str, str]


@attrs.frozen
class TransferInfo:
    """A transfer's settings and progress (rates in bytes/s, times as Unix seconds)."""

    id: int
    destination_id: str
    manifest_id: str
    status: str
    error: Optional[str]
    destination_path: str
    priority: int
    priority_lane: str
    send_rate_max: Optional[float]
    checkpoint_seconds: float
    overwrite_mode: int
    time_resolution_us: int
    timeout_seconds: float
    file_count: int
    files_done: int
    files_skipped: int
    bytes_total: int
    bytes_done: int
    created: float
    updated: float
    checkpointed: Optional[float]
    user_data: Dict[str, str]

    @property
    def processing(self) -> bool:
        """True until the transfer completes, fails or is suspended."""
        return self.status in ACTIVE


class _Dest:
    """A destination's runtime: its open store, limiter and lane share."""

    def __init__(self, record: DestinationRecord, destination: Optional[Destination], error: Optional[str]):
        self.id = record.id
        self.record = record
        self.destination = destination
        self.open_error = error
        self.limiter = BandwidthLimiter(record.send_rate_max) if record.send_rate_max else None
        self.share = LaneShare(record.lanes)


class _Run:
    """An unfinished transfer's runtime: what is left, what is in flight, what awaits a checkpoint."""

    def __init__(self, record: TransferRecord, files: List[Tuple[int, FileEntry, str, int]]) -> None:
        self.id = record.id
        self.created = record.created
        self.dest_id = record.destination_id
        self.options = dict(record.options)
        self.status = record.status
        self.error: Optional[str] = record.error
        self.entries: Dict[int, FileEntry] = {}
        self.pending: Deque[int] = collections.deque()
        self.in_flight: Set[int] = set()
        self.finished: List[Tuple[int, str, int]] = []
        self.file_count = len(files)
        self.files_done = self.files_skipped = self.bytes_done = 0
        self.bytes_total = sum(entry.size for _i, entry, _s, _b in files)
        for idx, entry, state, nbytes in files:
            if state == PENDING:
                self.entries[idx] = entry
                self.pending.append(idx)
            elif state == SKIPPED:
                self.files_skipped += 1
            else:
                self.files_done += 1
                self.bytes_done += nbytes
        rate = self.options.get("send_rate_max")
        self.limiter = BandwidthLimiter(rate) if rate else None
        self.token = CancelToken()
        self.last_checkpoint = time.monotonic()
        self.last_ok = time.monotonic()
        self.not_before = 0.0

    @property
    def lane(self) -> str:
        return str(self.options["priority_lane"])

    @property
    def priority(self) -> int:
        return int(self.options["priority"])

    def sendable(self, now: float) -> bool:
        return self.status in ("queued", "transferring") and bool(self.pending) and self.not_before <= now


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


class TransferManager:
    """Persistent transfers of local files into the SDK's stores. Thread-safe; one per state folder.

    * ``state_dir``: where the SQLite state lives (made when missing);
    * ``settings``: connection settings by profile name, held in memory only; a destination whose
      profile is not here is opened with the profile file and the environment;
    * ``config_path``: the profile file to read for such profiles (default: the SDK's usual one);
    * ``max_workers``: files sent at once over every destination;
    * ``file_config``: the engine's ``TransferConfig`` for each file (multipart parallelism);
    * ``start``: start the workers (and resume unfinished transfers) now; else call ``start()``.

    Transfers run on this object's threads: they advance only while a manager is open on the folder.
    Raises ``InvalidArgumentError`` for a bad ``max_workers`` and ``TransferError`` for a state
    database of a newer schema.
    """

    def __init__(
        self,
        state_dir: Union[str, os.PathLike[str]],
        *,
        settings: Optional[Mapping[str, ConnectionSettings]] = None,
        config_path: Optional[str] = None,
        max_workers: int = 4,
        file_config: Optional[TransferConfig] = None,
        start: bool = True,
    ) -> None:
        positive_int("max_workers", max_workers, operation="TransferManager")
        self._settings = dict(settings or {})
        self._config_path = config_path
        self._file_config = file_config or TransferConfig(max_workers=4)
        self.max_workers = max_workers
        self._store = Store(state_dir)
        self._cond = threading.Condition()
        self._dests: Dict[str, _Dest] = {}
        self._runs: Dict[int, _Run] = {}
        self._workers: List[threading.Thread] = []
        self._helpers: List[threading.Thread] = []
        self._requests: Deque[Tuple[int, Callable[[], Any]]] = collections.deque()
        self._closing = False
        self._turn = 0  # which destination _pick looks at first
        self._started = False
        self._stop_walks = threading.Event()
        self._load()
        if start:
            self.start()

    @property
    def state_dir(self) -> str:
        """The folder that holds the state database."""
        return str(self._store.state_dir)

    # -- life cycle ---------------------------------------------------------------------------------

    def _load(self) -> None:
        """Runtimes for what the state folder holds; interrupted work is made resumable."""
        for record in self._store.destinations():
            self._dests[record.id] = self._open(record)
        for stored in self._store.transfers():
            transfer = stored
            if transfer.status in FINISHED:
                continue
            if transfer.status == "suspending":  # the suspend was asked for: honour it
                self._store.set_transfer(transfer.id, status="suspended")
                transfer = attrs.evolve(transfer, status="suspended")
            elif transfer.status == "transferring":
                transfer = attrs.evolve(transfer, status="queued")
            run = _Run(transfer, self._store.transfer_files(transfer.id))
            self._runs[transfer.id] = run
            self._settle(run)
        for request in self._store.pending_requests():
            self._store.finish_request(
                request.id, None, "the manager stopped before the request ran", time.time()
            )

    def start(self) -> None:
        """Start the workers and resume the unfinished manifests and transfers (again: no effect)."""
        with self._cond:
            if self._started:
                return
            self._started = True
        for record in self._store.manifests():
            if record.status == "processing":
                self._store.restart_manifest(record.id)
                self._spawn(self._walk, record.id, _specs(record), record.symlink_options)
        self._spawn(self._serve_requests)
        for number in range(self.max_workers):
            thread = threading.Thread(target=self._work, name=f"cassdk-transfer-{number + 1}", daemon=True)
            self._workers.append(thread)
            thread.start()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name="cassdk-transfer-helper", daemon=True)
        self._helpers.append(thread)
        thread.start()

    def close(self, *, cancel: bool = False) -> None:
        """Stop: files in flight finish (or with ``cancel``, stop at once and stay pending), every
        transfer is checkpointed and stays resumable by the next manager on this folder.
        """
        with self._cond:
            if self._closing:
                return
            self._closing = True
            if cancel:
                for run in self._runs.values():
                    run.token.cancel("the manager is closing")
            self._cond.notify_all()
        self._stop_walks.set()
        for thread in self._workers:
            thread.join()
        # then the helpers, also those the last files spawned (a failed transfer's clean-up)
        while True:
            with self._cond:
                running = [thread for thread in self._helpers if thread.is_alive()]
            if not running:
                break
            for thread in running:
                thread.join()
        with self._cond:
            for run in self._runs.values():
                self._checkpoint(run)
        for dest in self._dests.values():
            if dest.destination is not None:
                dest.destination.close()
        self._store.close()

    def __enter__(self) -> TransferManager:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- destinations -------------------------------------------------------------------------------

    def _open(self, record: DestinationRecord) -> _Dest:
        try:
            destination = self._open_destination(parse_address(record.address), record.profile)
        except CASError as exc:
            return _Dest(record, None, str(exc))
        return _Dest(record, destination, None)

    def _open_destination(self, address: Address, profile: str) -> Destination:
        settings = resolve_settings(profile, self._settings.get(profile), self._config_path)
        return open_destination(
            address,
            settings,
            profile=profile,
            config_path=self._config_path,
            transfer_config=self._file_config,
            connections=self.max_workers * self._file_config.max_workers + 2,
        )

    def create_destination(
        self,
        address: str,
        *,
        send_rate_max: Optional[float] = None,
        profile: str = "default",
        exclusive: bool = False,
        permanent: bool = False,
    ) -> DestinationInfo:
        """The destination for ``address`` (``s3://bucket/prefix``, ``cos://name-appid/prefix``,
        ``cas://vault``, ``file:///dir``) reached with the settings of ``profile``.

        An existing destination with the same address and profile is returned unless ``exclusive``
        (its ``send_rate_max`` is then left as it was, as in JetStream). ``send_rate_max``: bytes/s
        for every transfer to it together (None or -1: unlimited). ``permanent`` is kept and reported;
        the manager never deletes a destination on its own. The client is opened now, so missing
        credentials fail here, before anything is stored.

        Raises ``InvalidDestinationError`` (an address it cannot parse), ``InvalidTransferArgumentError``
        (a bad rate or profile name) or the SDK's ``MissingCredentialsError``.
        """
        operation = "createDestination"
        parsed = parse_address(address, operation=operation)
        resource = f"destination {str(parsed)!r}"
        rate = check_rate("sendRateMax", send_rate_max, operation, resource)
        if not isinstance(profile, str) or not profile.strip():
            raise InvalidTransferArgumentError(
                "profile must be a non-blank name", operation=operation, resource=resource
            )
        with self._cond:  # one lookup-or-create at a time, so two callers share one destination
            if not exclusive:
                for existing in self._store.destinations():
                    if existing.address == str(parsed) and existing.profile == profile:
                        return self._destination_info(existing)
            destination = self._open_destination(parsed, profile)
            record = DestinationRecord(
                _new_id("dst"),
                self._store.next_seq("destinations"),
                str(parsed),
                profile,
                rate,
                dict(DEFAULT_LANES),
                dict(DEFAULT_DEFAULTS),
                bool(exclusive),
                bool(permanent),
                time.time(),
            )
            self._store.add_destination(record)
            self._dests[record.id] = _Dest(record, destination, None)
        return self._destination_info(record)

    def _dest(self, destination_id: object, operation: str) -> _Dest:
        dest = self._dests.get(destination_id) if isinstance(destination_id, str) else None
        return _found(dest, "destination", destination_id, operation)

    def _destination_info(self, record: DestinationRecord) -> DestinationInfo:
        dest = self._dests.get(record.id)
        current = dest.record if dest is not None else record
        return DestinationInfo(
            current.id,
            current.address,
            current.profile,
            current.send_rate_max,
            dict(current.lanes),
            dict(current.defaults),
            current.exclusive,
            current.permanent,
            current.created,
            self._store.user_data(current.id),
        )

    def get_destination(self, destination_id: str) -> DestinationInfo:
        """The destination ``destination_id`` names; ``TransferNotFoundError`` when there is none."""
        return self._destination_info(self._dest(destination_id, "getDestination").record)

    def get_destinations(self, limit: Optional[int] = None) -> List[DestinationInfo]:
        """Every destination, oldest first; at most ``limit`` of them when it is given (0 or None: all)."""
        found = [
            self._destination_info(d.record) for d in sorted(self._dests.values(), key=lambda d: d.record.seq)
        ]
        return found[:limit] if limit else found

    def delete_destination(self, destination_id: str) -> None:
        """Delete the destination ``destination_id`` and its transfers, and close its client.

        ``TransferNotFoundError`` for an unknown id; ``TransferStateError`` while one of its transfers
        is queued, transferring or suspending (suspend or fail them first).
        """
        operation = "deleteDestination"
        with self._cond:
            dest = self._dest(destination_id, operation)
            busy = [run.id for run in self._runs.values() if run.dest_id == dest.id and run.status in ACTIVE]
            if busy:
                raise TransferStateError(
                    f"transfers {busy} are active: suspend or fail them first",
                    operation=operation,
                    resource=f"destination {destination_id!r}",
                )
            self._store.delete_destination(dest.id)
            for run_id in [r.id for r in self._runs.values() if r.dest_id == dest.id]:
                del self._runs[run_id]
            del self._dests[dest.id]
        if dest.destination is not None:
            dest.destination.close()

    def set_send_rate_max(self, destination_id: str, send_rate_max: Optional[float]) -> Optional[float]:
        """The destination's rate, ``send_rate_max`` bytes/s (None or -1: unlimited), live for every
        transfer to ``destination_id``; returns the rate now in force (None: unlimited).

        ``TransferNotFoundError`` for an unknown id, ``InvalidTransferArgumentError`` for a rate that is
        not a positive number.
        """
        operation = "setSendRateMax"
        resource = f"destination {destination_id!r}"
        rate = check_rate("sendRateMax", send_rate_max, operation, resource)
        with self._cond:
            dest = self._dest(destination_id, operation)
            self._store.update_destination(dest.id, send_rate_max=rate, change_rate=True)
            dest.record = attrs.evolve(dest.record, send_rate_max=rate)
            if rate is None:
                dest.limiter = None
            elif dest.limiter is None:
                dest.limiter = BandwidthLimiter(rate)
            else:
                dest.limiter.set_rate(rate)
        return rate

    def set_priority_lanes(self, destination_id: str, lanes: Mapping[str, float]) -> Dict[str, float]:
        """Replace the priority ``lanes`` (name -> proportion) of ``destination_id`` under the lane rules
        (docs/transfer.md §4); proportions take effect at once. Returns the lanes as stored.

        ``LaneConfigError`` for a set against the rules, or one that renames, adds or drops a lane while
        transfers are unfinished; ``TransferNotFoundError`` for an unknown id. A refused set changes nothing.
        """
        operation = "setPriorityLanes"
        resource = f"destination {destination_id!r}"
        with self._cond:
            dest = self._dest(destination_id, operation)
            checked = validate_lanes(lanes, operation=operation, resource=resource)
            runs = [
                run for run in self._runs.values() if run.dest_id == dest.id and run.status not in FINISHED
            ]
            check_lane_change(
                dest.record.lanes,
                checked,
                {run.lane for run in runs},
                in_progress=bool(runs),
                operation=operation,
                resource=resource,
            )
            self._store.update_destination(dest.id, lanes=checked)
            dest.record = attrs.evolve(dest.record, lanes=checked)
            dest.share.set_lanes(checked)
            self._cond.notify_all()
        return dict(checked)

    def update_transfer_defaults(self, destination_id: str, **changes: Any) -> Dict[str, Any]:
        """Defaults for new transfers to ``destination_id``: keyword arguments named as in
        ``create_transfer`` (``priority``, ``priority_lane``, ``checkpoint_seconds``, ``send_rate_max``,
        ``overwrite_mode``, ``time_resolution_us``); None keeps the current value. Returns every default.

        ``InvalidTransferArgumentError`` for an unknown key or a bad value (``LaneConfigError`` for an
        unknown lane), ``TransferNotFoundError`` for an unknown id.
        """
        operation = "updateTransferDefaults"
        resource = f"destination {destination_id!r}"
        with self._cond:
            dest = self._dest(destination_id, operation)
            unknown = sorted(set(changes) - set(DEFAULT_DEFAULTS))
            if unknown:
                raise InvalidTransferArgumentError(
                    f"unknown defaults {unknown}", operation=operation, resource=resource
                )
            given = {k: v for k, v in changes.items() if v is not None}
            merged = {**dest.record.defaults, **check_options(given, dest.record.lanes, operation, resource)}
            self._store.update_destination(dest.id, defaults=merged)
            dest.record = attrs.evolve(dest.record, defaults=merged)
            return dict(merged)

    # -- manifests ----------------------------------------------------------------------------------

    def create_manifest(
        self,
        mappings: Optional[Mapping[Any, Any]] = None,
        *,
        file_mappings: Optional[Mapping[Any, Any]] = None,
        symlink_options: Optional[int] = None,
    ) -> ManifestInfo:
        """A manifest of files to send: ``mappings`` maps each destination path to a source path or to a
        ``{src, size, flags, access, include, exclude}`` dict (docs/transfer.md §3); ``file_mappings``
        is the deprecated source -> destination form (a ``DeprecationWarning``); ``symlink_options`` is
        ``SYMLINKS_COPY_CONTENTS`` (default) or ``SYMLINKS_IGNORE``.

        Folders are walked in the background: the answer may be ``processing`` (see
        ``wait_for_manifest``). Every mapping is checked first: a bad one, or a missing source, raises
        ``InvalidManifestError`` and no manifest is made.
        """
        specs, options = parse_mappings(mappings, file_mappings, symlink_options)
        walk = any(spec.walk for spec in specs)
        files = [] if walk else list(expand(specs, options))
        record = ManifestRecord(
            _new_id("man"),
            self._store.next_seq("manifests"),
            "processing" if walk else "complete",
            {"specs": [dict(spec.to_json()) for spec in specs]},
            options,
            len(files),
            sum(f.size for f in files),
            None,
            time.time(),
        )
        self._store.add_manifest(record, files)
        if walk:
            self._spawn(self._walk, record.id, specs, options)
        return self._manifest_info(record)

    def _walk(self, manifest_id: str, specs: List[MappingSpec], options: int) -> None:
        batch: List[FileEntry] = []
        count = 0
        try:
            for entry in expand(specs, options, self._stop_walks):
                batch.append(entry)
                if len(batch) >= _MANIFEST_BATCH:
                    if not self._store.add_manifest_files(manifest_id, count, batch):
                        return  # deleted while walking
                    count += len(batch)
                    batch = []
            if self._stop_walks.is_set():
                return  # the next manager walks it again
            self._store.add_manifest_files(manifest_id, count, batch)
            self._store.finish_manifest(manifest_id, "complete")
        except OSError as exc:
            self._store.finish_manifest(manifest_id, "error", f"{exc.strerror or exc}: {exc.filename}")
        except Exception as exc:  # recorded on the manifest, which the caller waits on
            log.exception("manifest %s failed", manifest_id)
            self._store.finish_manifest(manifest_id, "error", str(exc))
        with self._cond:
            self._cond.notify_all()

    def _manifest_record(self, manifest_id: object, operation: str) -> ManifestRecord:
        record = self._store.manifest(manifest_id) if isinstance(manifest_id, str) else None
        return _found(record, "manifest", manifest_id, operation)

    def _manifest_info(self, record: ManifestRecord) -> ManifestInfo:
        return ManifestInfo(
            record.id,
            record.status,
            record.file_count,
            record.total_size,
            record.symlink_options,
            record.error,
            record.created,
            self._store.user_data(record.id),
        )

    def get_manifest(self, manifest_id: str) -> ManifestInfo:
        """The manifest ``manifest_id`` names; ``TransferNotFoundError`` when there is none."""
        return self._manifest_info(self._manifest_record(manifest_id, "getManifest"))

    def get_manifests(
        self, *, before: Optional[str] = None, after: Optional[str] = None, limit: Optional[int] = None
    ) -> List[ManifestInfo]:
        """Manifests, oldest first: only those made ``before`` / ``after`` the given manifest ids, at most
        ``limit`` (0 or None: all). ``TransferNotFoundError`` when a bound names no manifest.
        """
        records = self._store.manifests()
        seqs = {r.id: r.seq for r in records}
        for name, bound in (("before", before), ("after", after)):
            if bound is not None and bound not in seqs:
                raise TransferNotFoundError(
                    f"{name}: no such manifest", operation="getManifests", resource=f"manifest {bound!r}"
                )
        if before is not None:
            records = [r for r in records if r.seq < seqs[before]]
        if after is not None:
            records = [r for r in records if r.seq > seqs[after]]
        found = [self._manifest_info(r) for r in records]
        return found[:limit] if limit else found

    def get_manifest_files(self, manifest_id: str, limit: Optional[int] = None) -> List[FileEntry]:
        """The entries (destination path, source, size, flags, access) of ``manifest_id``, at most
        ``limit`` when given; ``TransferNotFoundError`` for an unknown id.
        """
        record = self._manifest_record(manifest_id, "getManifestFiles")
        return self._store.manifest_files(record.id, limit)

    def wait_for_manifest(self, manifest_id: str, timeout: Optional[float] = None) -> ManifestInfo:
        """Block until the walk of ``manifest_id`` is over (``complete`` or ``error``) and return it;
        ``TransferStateError`` when ``timeout`` seconds pass first, ``TransferNotFoundError`` for an
        unknown id.
        """
        operation = "waitForManifest"
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                record = self._manifest_record(manifest_id, operation)
                if record.status != "processing":
                    return self._manifest_info(record)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TransferStateError(
                        f"still processing after {timeout} s",
                        operation=operation,
                        resource=f"manifest {manifest_id!r}",
                    )
                self._cond.wait(0.2 if left is None else min(0.2, left))

    def delete_manifest(self, manifest_id: str) -> None:
        """Delete ``manifest_id`` (transfers made from it keep their own list of files);
        ``TransferNotFoundError`` for an unknown id.
        """
        record = self._manifest_record(manifest_id, "deleteManifest")
        self._store.delete_manifest(record.id)

    # -- transfers ----------------------------------------------------------------------------------

    def create_transfer(
        self,
        destination_id: str,
        manifest_id: str,
        *,
        destination_path: Optional[str] = None,
        priority: Optional[int] = None,
        checkpoint_seconds: Optional[float] = None,
        send_rate_max: Optional[float] = None,
        priority_lane: Optional[str] = None,
        overwrite_mode: Optional[int] = None,
        time_resolution_us: Optional[int] = None,
        timeout_seconds: Optional[float] = None,
        user_data: Optional[Mapping[str, str]] = None,
    ) -> TransferInfo:
        """A queued transfer of the files of ``manifest_id`` to ``destination_id`` (after the manifest's
        walk has ended). Settings left None come from the destination's defaults:

        * ``destination_path``: a folder under the destination's prefix for every file;
        * ``priority``: 0 to 4294967295, lower goes first within a lane (default 100);
        * ``priority_lane``: one of the destination's lanes (default Normal, else its first lane);
        * ``checkpoint_seconds``: the longest time between checkpoints (0: only at suspend and the end);
        * ``send_rate_max``: the transfer's own cap in bytes/s (-1: none beyond the destination's);
        * ``overwrite_mode``: ``OVERWRITE_ALWAYS``, ``OVERWRITE_NEVER`` or ``OVERWRITE_DIFFERENT``;
        * ``time_resolution_us``: how far modification times may differ for ``OVERWRITE_DIFFERENT``;
        * ``timeout_seconds``: retry failing files until this long without a success (0: fail at once);
        * ``user_data``: string keys and values kept with the transfer.

        Raises ``TransferNotFoundError`` (unknown ids), ``InvalidManifestError`` (the manifest's walk
        failed), ``InvalidTransferArgumentError`` / ``LaneConfigError`` (a bad setting) before anything
        is stored.
        """
        operation = "createTransfer"
        resource = f"destination {destination_id!r}, manifest {manifest_id!r}"
        dest = self._dest(destination_id, operation)
        manifest = self.wait_for_manifest(self._manifest_record(manifest_id, operation).id)
        if manifest.status != "complete":
            raise InvalidManifestError(
                f"the manifest failed: {manifest.error}",
                operation=operation,
                resource=f"manifest {manifest_id!r}",
            )
        given = {
            "destination_path": destination_path,
            "priority": priority,
            "checkpoint_seconds": checkpoint_seconds,
            "send_rate_max": send_rate_max,
            "priority_lane": priority_lane,
            "overwrite_mode": overwrite_mode,
            "time_resolution_us": time_resolution_us,
            "timeout_seconds": timeout_seconds,
        }
        data = check_user_data(user_data, operation, resource)
        with self._cond:
            defaults = dict(dest.record.defaults)
            if defaults.get("priority_lane") not in dest.record.lanes:
                lanes = list(dest.record.lanes)
                defaults["priority_lane"] = DEFAULT_LANE if DEFAULT_LANE in lanes else lanes[0]
            options = {
                **DEFAULT_DEFAULTS,
                **defaults,
                "destination_path": "",
                "timeout_seconds": 0.0,
                **check_options(
                    {k: v for k, v in given.items() if v is not None}, dest.record.lanes, operation, resource
                ),
            }
            if send_rate_max == -1:
                options["send_rate_max"] = None
            transfer_id = self._store.add_transfer(dest.id, manifest.id, options, time.time())
            if data:
                self._store.set_user_data(f"transfer:{transfer_id}", data)
            record = self._store.transfer(transfer_id)
            assert record is not None
            run = _Run(record, self._store.transfer_files(transfer_id))
            self._runs[transfer_id] = run
            self._settle(run)  # a transfer of nothing is complete at once
            self._cond.notify_all()
        return self.get_transfer(transfer_id)

    def _run(self, transfer_id: object, operation: str) -> _Run:
        """The runtime of an unfinished transfer; a finished one is a ``TransferStateError``."""
        record = self._record(transfer_id, operation)
        run = self._runs.get(record.id)
        if run is None:
            raise TransferStateError(
                f"the transfer is {record.status}", operation=operation, resource=f"transfer {transfer_id!r}"
            )
        return run

    def _record(self, transfer_id: object, operation: str) -> TransferRecord:
        valid = isinstance(transfer_id, int) and not isinstance(transfer_id, bool)
        record = self._store.transfer(transfer_id) if valid else None  # type: ignore[arg-type]
        return _found(record, "transfer", transfer_id, operation)

    def get_transfer(self, transfer_id: int) -> TransferInfo:
        """The settings and progress of ``transfer_id``; ``TransferNotFoundError`` for an unknown id."""
        with self._cond:
            record = self._record(transfer_id, "getTransfer")
            run = self._runs.get(record.id)
            if run is not None:
                counts = (run.file_count, run.files_done, run.files_skipped, run.bytes_total, run.bytes_done)
                status, error, options = run.status, run.error, run.options
            else:
                found = self._store.transfer_counts(record.id)
                done, skipped, pending = (found.get(s, (0, 0)) for s in (DONE, SKIPPED, PENDING))
                total = sum(entry.size for _i, entry, _s, _b in self._store.transfer_files(record.id))
                counts = (done[0] + skipped[0] + pending[0], done[0], skipped[0], total, done[1])
                status, error, options = record.status, record.error, record.options
        return TransferInfo(
            record.id,
            record.destination_id,
            record.manifest_id,
            status,
            error,
            str(options.get("destination_path", "")),
            int(options["priority"]),
            str(options["priority_lane"]),
            options.get("send_rate_max"),
            float(options["checkpoint_seconds"]),
            int(options["overwrite_mode"]),
            int(options["time_resolution_us"]),
            float(options.get("timeout_seconds", 0.0)),
            *counts,
            record.created,
            record.updated,
            record.checkpointed,
            self._store.user_data(f"transfer:{record.id}"),
        )

    def get_transfers(
        self,
        destination_id: Optional[str] = None,
        *,
        before: Optional[int] = None,
        after: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> List[TransferInfo]:
        """Transfers, oldest first: to ``destination_id`` only when given, only those made ``before`` /
        ``after`` the given transfer ids, at most ``limit`` (0 or None: all).
        ``TransferNotFoundError`` when an id names nothing.
        """
        operation = "getTransfers"
        if destination_id is not None:
            self._dest(destination_id, operation)
        records = self._store.transfers()
        if destination_id is not None:
            records = [r for r in records if r.destination_id == destination_id]
        if before is not None:
            records = [r for r in records if r.id < self._record(before, operation).id]
        if after is not None:
            records = [r for r in records if r.id > self._record(after, operation).id]
        found = [self.get_transfer(r.id) for r in records]
        return found[:limit] if limit else found

    def wait_for_transfer(self, transfer_id: int, timeout: Optional[float] = None) -> TransferInfo:
        """Block until ``transfer_id`` is complete and return it. A suspended transfer keeps this waiting
        (until it is resumed or ``timeout`` passes).

        ``TransferFailedError`` when it fails, ``TransferStateError`` when ``timeout`` seconds pass first,
        ``TransferNotFoundError`` for an unknown id.
        """
        operation = "waitForTransfer"
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                record = self._record(transfer_id, operation)
                run = self._runs.get(record.id)
                status = run.status if run is not None else record.status
                if run is None and status == "failed":
                    raise TransferFailedError(
                        record.error or "failed", operation=operation, resource=f"transfer {transfer_id!r}"
                    )
                if status == "complete":
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TransferStateError(
                        f"still {status} after {timeout} s",
                        operation=operation,
                        resource=f"transfer {transfer_id!r}",
                    )
                self._cond.wait(0.2 if left is None else min(0.2, left))
        return self.get_transfer(transfer_id)

    def check_suspend(self, transfer_id: int) -> None:
        """Raise what ``suspend_transfer(transfer_id)`` would raise, without suspending:
        ``TransferNotFoundError`` for an unknown id, ``TransferStateError`` unless it is queued or
        transferring.
        """
        run = self._run(transfer_id, "suspendTransfer")
        if run.status not in ("queued", "transferring"):
            raise TransferStateError(
                f"only an active transfer can be suspended; it is {run.status}",
                operation="suspendTransfer",
                resource=f"transfer {transfer_id!r}",
            )

    def suspend_transfer(self, transfer_id: int) -> TransferInfo:
        """Stop taking files of ``transfer_id``, let those in flight finish and checkpoint; it stays
        ``suspended`` (also for the next manager on this folder) until resumed. Blocks until then.

        Raises as ``check_suspend`` does.
        """
        with self._cond:
            self.check_suspend(transfer_id)
            run = self._runs[transfer_id]
            run.status = "suspending"
            self._store.set_transfer(run.id, status="suspending")
            self._settle(run)
            while run.status == "suspending":
                self._cond.wait(0.2)
        return self.get_transfer(transfer_id)

    def check_resume(self, transfer_id: int) -> None:
        """Raise what ``resume_transfer(transfer_id)`` would raise, without resuming:
        ``TransferNotFoundError`` for an unknown id, ``TransferStateError`` unless it is suspended.
        """
        run = self._run(transfer_id, "resumeTransfer")
        if run.status != "suspended":
            raise TransferStateError(
                f"only a suspended transfer can be resumed; it is {run.status}",
                operation="resumeTransfer",
                resource=f"transfer {transfer_id!r}",
            )

    def resume_transfer(self, transfer_id: int) -> TransferInfo:
        """Queue the suspended ``transfer_id`` again: its files go out from its last checkpoint.

        Raises as ``check_resume`` does.
        """
        with self._cond:
            self.check_resume(transfer_id)
            run = self._runs[transfer_id]
            run.status = "queued"
            run.last_ok = time.monotonic()
            self._store.set_transfer(run.id, status="queued")
            self._settle(run)
            self._cond.notify_all()
        return self.get_transfer(transfer_id)

    def fail_transfer(self, transfer_id: int, error_message: Optional[str] = None) -> TransferInfo:
        """End ``transfer_id`` as failed with ``error_message`` (default: "failed by request"); files in
        flight are cancelled.

        ``TransferNotFoundError`` for an unknown id, ``TransferStateError`` for a finished transfer,
        ``InvalidTransferArgumentError`` for a message that is not a string.
        """
        operation = "failTransfer"
        if error_message is not None and not isinstance(error_message, str):
            raise InvalidTransferArgumentError(
                "errorMessage must be a string", operation=operation, resource=f"transfer {transfer_id!r}"
            )
        with self._cond:
            run = self._run(transfer_id, operation)
            run.status = "failed"
            run.error = error_message or "failed by request"
            run.token.cancel("failed by request")
            self._settle(run)
            self._cond.notify_all()
        return self.get_transfer(transfer_id)

    def delete_transfer(self, transfer_id: int) -> None:
        """Delete ``transfer_id`` and its record of files. ``TransferStateError`` while it is active
        (suspend or fail it first), ``TransferNotFoundError`` for an unknown id.
        """
        operation = "deleteTransfer"
        with self._cond:
            record = self._record(transfer_id, operation)
            run = self._runs.get(record.id)
            if run is not None and (run.status in ACTIVE or run.in_flight):
                raise TransferStateError(
                    f"the transfer is {run.status}: suspend it first",
                    operation=operation,
                    resource=f"transfer {transfer_id!r}",
                )
            self._store.delete_transfer(record.id)
            self._runs.pop(record.id, None)

    def set_transfer_priority(
        self, transfer_id: int, priority: Optional[int] = None, priority_lane: Optional[str] = None
    ) -> TransferInfo:
        """Move the unfinished ``transfer_id`` to ``priority`` and/or ``priority_lane`` (None keeps
        either), live. ``InvalidTransferArgumentError`` for a bad priority, ``LaneConfigError`` for a
        lane the destination lacks, ``TransferStateError`` for a finished transfer.
        """
        operation = "setTransferPriority"
        with self._cond:
            run = self._run(transfer_id, operation)
            given = {"priority": priority, "priority_lane": priority_lane}
            checked = check_options(
                {k: v for k, v in given.items() if v is not None},
                self._dests[run.dest_id].record.lanes,
                operation,
                f"transfer {transfer_id!r}",
            )
            run.options.update(checked)
            self._store.set_transfer(run.id, options=run.options)
            self._cond.notify_all()
        return self.get_transfer(transfer_id)

    def set_transfer_send_rate_max(self, transfer_id: int, send_rate_max: Optional[float]) -> Optional[float]:
        """The own cap of ``transfer_id``, ``send_rate_max`` bytes/s (-1 or None: none beyond the
        destination's), live; returns the cap now in force.
        ``InvalidTransferArgumentError`` for a bad rate, ``TransferStateError`` for a finished transfer.
        """
        operation = "setTransferSendRateMax"
        with self._cond:
            run = self._run(transfer_id, operation)
            rate = check_rate("sendRateMax", send_rate_max, operation, f"transfer {transfer_id!r}")
            run.options["send_rate_max"] = rate
            self._store.set_transfer(run.id, options=run.options)
            if rate is None:
                run.limiter = None
            elif run.limiter is None:
                run.limiter = BandwidthLimiter(rate)
            else:
                run.limiter.set_rate(rate)
        return rate

    # -- user data ----------------------------------------------------------------------------------

    def _object_id(self, object_id: object, operation: str) -> str:
        """The user-data key of a destination, manifest or transfer id."""
        if isinstance(object_id, int) and not isinstance(object_id, bool):
            return f"transfer:{self._record(object_id, operation).id}"
        if isinstance(object_id, str):
            if object_id in self._dests:
                return object_id
            if self._store.manifest(object_id) is not None:
                return object_id
            if object_id.isdigit():
                return f"transfer:{self._record(int(object_id), operation).id}"
            if object_id.startswith(("tok-", TOKEN_PREFIX)):
                return SharedTokens(self).record(object_id, operation)[0].id
        raise TransferNotFoundError("no such object", operation=operation, resource=f"object {object_id!r}")

    def update_user_data(self, object_id: Union[str, int], key: str, value: Optional[str] = None) -> None:
        """Set the user data ``key`` to ``value`` (None: an empty string) on ``object_id``: a destination
        or manifest id, or a transfer id. ``TransferNotFoundError`` when the id names nothing,
        ``InvalidTransferArgumentError`` for a key or value that is not a string.
        """
        operation = "updateObjectUserData"
        target = self._object_id(object_id, operation)
        data = check_user_data({key: "" if value is None else value}, operation, f"object {object_id!r}")
        self._store.set_user_data(target, data)

    def delete_user_data(self, object_id: Union[str, int], key: str) -> None:
        """Remove the user data ``key`` of ``object_id`` (a destination, manifest or transfer id);
        ``TransferNotFoundError`` when the object or the key does not exist.
        """
        operation = "deleteObjectUserData"
        target = self._object_id(object_id, operation)
        if not self._store.delete_user_data(target, key):
            raise TransferNotFoundError(
                f"no user data {key!r}", operation=operation, resource=f"object {object_id!r}"
            )

    # -- shared tokens (docs/transfer.md §8; the logic is in tokens.py) -----------------------------

    def create_shared_token(
        self,
        manifest_id: str,
        password: Optional[str] = None,
        download_limit: Optional[int] = None,
        time_limit_seconds: Optional[int] = None,
        description: Optional[str] = None,
    ) -> SharedTokenInfo:
        """A token that lets its holder download what the latest completed S3/COS transfer of
        ``manifest_id`` delivered, without credentials (``redeem_shared_token``). ``password``: also
        needed to redeem; ``download_limit``: redemptions allowed (enforced only with a grant
        registry); ``time_limit_seconds``: 1 to 7 days (the default); ``description``: kept and
        reported. ``SharedTokenUnavailableError`` when nothing can be shared,
        ``InvalidTransferArgumentError`` for a bad limit.
        """
        tokens = SharedTokens(self)
        return tokens.create(manifest_id, password, download_limit, time_limit_seconds, description)

    def get_shared_token(self, token: Any) -> SharedTokenInfo:
        """The token given by its string, its ``tok-`` id or its structure."""
        return SharedTokens(self).get(token)

    def get_shared_tokens(self, limit: Optional[int] = None) -> List[SharedTokenInfo]:
        """The tokens of this state folder, oldest first, at most ``limit`` (None or 0: all); their
        strings are never kept, so ``token`` is None."""
        return SharedTokens(self).list(limit)

    def update_shared_token(
        self, token: Any, time_limit_seconds: Optional[int] = None, description: Optional[str] = None
    ) -> SharedTokenInfo:
        """``token`` with a new ``time_limit_seconds`` (counted from now, within 7 days of its creation;
        the URLs are re-minted) and/or a new ``description``."""
        return SharedTokens(self).update(token, time_limit_seconds, description)

    def delete_shared_token(self, token: Any) -> None:
        """Stop ``token``: no redemption can start any more; one under way may finish."""
        SharedTokens(self).delete(token)

    # -- requests (the ...Async commands) -----------------------------------------------------------

    def submit(self, kind: str, target: str, action: Callable[[], Any]) -> int:
        """Queue ``action`` on the manager's request thread and return the request id under which its
        result (JSON) or error is kept; ``kind`` and ``target`` describe the request. The engine of the
        ``...Async`` commands.
        """
        request_id = self._store.add_request(kind, target, time.time())
        with self._cond:
            self._requests.append((request_id, action))
            self._cond.notify_all()
        return request_id

    def completed_request(self, kind: str, target: str, result: Any) -> int:
        """Record a request that already ran (a quick ``...Async`` command): ``kind`` and ``target``
        describe it, ``result`` (JSON) is its answer. Returns its id.
        """
        request_id = self._store.add_request(kind, target, time.time())
        self._store.finish_request(request_id, result, None, time.time())
        return request_id

    def _serve_requests(self) -> None:
        while True:
            with self._cond:
                while not self._requests and not self._closing:
                    self._cond.wait(0.5)
                if not self._requests:
                    return
                request_id, action = self._requests.popleft()
            try:
                result, error = action(), None
            except CASError as exc:
                result, error = None, str(exc)
            self._store.finish_request(request_id, result, error, time.time())
            with self._cond:
                self._cond.notify_all()

    def request_status(self, request_id: int) -> Tuple[str, Optional[str]]:
        """``(status, error)`` of ``request_id``: ``pending``, ``complete`` or ``failed``;
        ``TransferNotFoundError`` for an unknown id.
        """
        record = self._store.request(request_id) if isinstance(request_id, int) else None
        record = _found(record, "request", request_id, "getRequestStatus")
        return record.status, record.error

    def request_result(self, request_id: int, timeout: Optional[float] = None) -> Any:
        """The result of ``request_id`` once it ran, waiting up to ``timeout`` seconds (None: no limit).

        ``TransferError`` with its message when it failed, ``TransferStateError`` when the wait times
        out, ``TransferNotFoundError`` for an unknown id.
        """
        operation = "getRequestResult"
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                record = self._store.request(request_id) if isinstance(request_id, int) else None
                record = _found(record, "request", request_id, operation)
                if record.status == "complete":
                    return record.result
                if record.status == "failed":
                    raise TransferError(
                        record.error or "failed", operation=operation, resource=f"request {request_id!r}"
                    )
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TransferStateError(
                        f"still pending after {timeout} s",
                        operation=operation,
                        resource=f"request {request_id!r}",
                    )
                self._cond.wait(0.2 if left is None else min(0.2, left))

    # -- the workers --------------------------------------------------------------------------------

    def _pick(self) -> Optional[Tuple[_Run, _Dest, int, FileEntry]]:
        """The next file to send (lock held): destinations in turn, then the lane by share, then the
        transfer by priority (FIFO on ties)."""
        now = time.monotonic()
        dests = sorted(self._dests.values(), key=lambda d: d.record.seq)
        self._turn = (self._turn + 1) % max(len(dests), 1)
        for dest in dests[self._turn :] + dests[: self._turn]:
            runs = [run for run in self._runs.values() if run.dest_id == dest.id and run.sendable(now)]
            if not runs:
                continue
            if dest.destination is None:
                for run in runs:
                    run.status, run.error = "failed", f"cannot open the destination: {dest.open_error}"
                    self._settle(run)
                continue
            lane = dest.share.pick({run.lane for run in runs})
            if lane is None:
                continue
            run = min((r for r in runs if r.lane == lane), key=lambda r: (r.priority, r.id))
            idx = run.pending.popleft()
            entry = run.entries[idx]
            run.in_flight.add(idx)
            dest.share.charge(lane, entry.size)
            if run.status == "queued":
                run.status = "transferring"
                self._store.set_transfer(run.id, status="transferring")
            return run, dest, idx, entry
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                job = None
                while not self._closing:
                    job = self._pick()
                    if job is not None:
                        break
                    self._cond.wait(0.25)
                if job is None:
                    return
            run, dest, idx, entry = job
            state, nbytes, error = self._send(run, dest, entry)
            with self._cond:
                self._finish(run, idx, entry, state, nbytes, error)
                self._cond.notify_all()

    def _send(self, run: _Run, dest: _Dest, entry: FileEntry) -> Tuple[str, int, Optional[CASError]]:
        """Send one file: (state, bytes, error); ``state`` is DONE, SKIPPED, PENDING (cancelled)
        or "error"."""
        destination = dest.destination
        assert destination is not None
        key = destination.key_for(str(run.options.get("destination_path", "")), entry.dest)
        try:
            if entry.flags == FILETYPE_DIRECTORY:
                destination.make_folder(key)
                return DONE, 0, None
            try:
                info = os.stat(entry.src)
            except OSError as exc:
                raise TransferError(
                    f"the source is gone: {exc.strerror or exc}", operation="send_file", local_path=entry.src
                ) from exc
            if self._skip(run, destination, key, info):
                return SKIPPED, 0, None
            pacer = JointLimiter(lambda: (run.limiter, dest.limiter))
            sent = destination.send_file(
                entry.src,
                key,
                mtime_ns=info.st_mtime_ns,
                cancel_token=run.token,
                limiter=pacer,
                resumable_since=run.created,
            )
            return DONE, sent, None
        except TransferCancelledError:
            return PENDING, 0, None
        except CASError as exc:
            return "error", 0, exc

    @staticmethod
    def _skip(run: _Run, destination: Destination, key: str, info: os.stat_result) -> bool:
        mode = run.options.get("overwrite_mode", OVERWRITE_ALWAYS)
        if mode == OVERWRITE_ALWAYS or not destination.can_compare:
            return False
        found = destination.stat(key)
        if found is None:
            return False
        if mode == OVERWRITE_NEVER:
            return True
        if found.size != info.st_size or found.mtime_us is None:
            return False
        resolution = int(run.options.get("time_resolution_us", 0))
        return abs(found.mtime_us - info.st_mtime_ns // 1000) <= resolution

    def _finish(
        self, run: _Run, idx: int, entry: FileEntry, state: str, nbytes: int, error: Optional[CASError]
    ) -> None:
        """Account one file (lock held), then checkpoint / settle as due."""
        run.in_flight.discard(idx)
        now = time.monotonic()
        if state in (DONE, SKIPPED):
            run.entries.pop(idx, None)
            run.finished.append((idx, state, nbytes))
            run.last_ok = now
            if state == DONE:
                run.files_done += 1
                run.bytes_done += nbytes
            else:
                run.files_skipped += 1
        elif state == PENDING or (error is not None and error.retryable and self._within_timeout(run, now)):
            run.pending.appendleft(idx)
            if error is not None:
                run.not_before = now + _RETRY_PAUSE
                log.warning("transfer %s: %s; retrying", run.id, error)
        elif run.status not in FINISHED:
            run.pending.appendleft(idx)
            run.status, run.error = "failed", str(error)
            run.token.cancel("a file failed")
        seconds = float(run.options.get("checkpoint_seconds", 0))
        if run.finished and seconds > 0 and now - run.last_checkpoint >= seconds:
            self._checkpoint(run)
        self._settle(run)

    @staticmethod
    def _within_timeout(run: _Run, now: float) -> bool:
        timeout = float(run.options.get("timeout_seconds", 0))
        return run.status in ACTIVE and timeout > 0 and now - run.last_ok < timeout

    def _checkpoint(self, run: _Run, status: Optional[str] = None, error: Optional[str] = None) -> None:
        """Write the files finished since the last checkpoint, with ``status`` (lock held)."""
        finished, run.finished = run.finished, []
        if finished or status is not None:
            self._store.checkpoint(run.id, finished, status=status, error=error)
        run.last_checkpoint = time.monotonic()

    def _settle(self, run: _Run) -> None:
        """Move a transfer to its next state once nothing of it is in flight (lock held)."""
        if run.in_flight:
            return
        if run.status == "suspending":
            run.status = "suspended"
            self._checkpoint(run, "suspended")
        elif run.status == "failed":
            self._checkpoint(run, "failed", run.error)
            self._runs.pop(run.id, None)
            dest = self._dests.get(run.dest_id)
            if dest is not None and dest.destination is not None:
                self._spawn(self._discard_unfinished, run, dest.destination)
        elif run.status in ("queued", "transferring") and not run.pending:
            run.status = "complete"
            self._checkpoint(run, "complete")
            self._runs.pop(run.id, None)

    @staticmethod
    def _discard_unfinished(run: _Run, destination: Destination) -> None:
        """A failed transfer leaves no multipart upload behind (a suspended one keeps them)."""
        above = destination.resumable_above
        if above is None:
            return
        prefix = str(run.options.get("destination_path", ""))
        for entry in run.entries.values():
            if entry.size > above:
                key = destination.key_for(prefix, entry.dest)
                try:
                    destination.discard(key, run.created)
                except CASError as exc:
                    log.warning(
                        "transfer %s: could not abort the unfinished upload of %r: %s", run.id, key, exc
                    )


def _specs(record: ManifestRecord) -> List[MappingSpec]:
    specs = []
    for stored in record.mappings.get("specs", []):
        raw = dict(stored)
        raw["include"], raw["exclude"] = tuple(raw.get("include", ())), tuple(raw.get("exclude", ()))
        specs.append(MappingSpec(**raw))
    return specs


_T = TypeVar("_T")


def _found(value: Optional[_T], kind: str, ident: object, operation: str) -> _T:
    """``value``, or ``TransferNotFoundError`` naming the ``kind`` and id that were looked up."""
    if value is None:
        raise TransferNotFoundError(f"no such {kind}", operation=operation, resource=f"{kind} {ident!r}")
    return value
