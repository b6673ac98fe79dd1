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

Control across processes (docs/transfer.md §5): one manager per folder runs its transfers, the
one holding the store's runner lock.  Every suspend, resume and fail, local or not, is written to
the store as a control; a priority or rate change is written to the transfer's options.  The
runner applies both in ``_sync``, at once for its own calls and at its tick (``_TICK``) for any
other process's, so a remote suspend drains and checkpoints exactly as a local one.  A manager
that does not run the folder reads state from the store; when no runner exists it applies a
control itself under the lock, where nothing is in flight.
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
    TransferSuspendedError,
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
    FAIL,
    PENDING,
    RESUME,
    SKIPPED,
    SUSPEND,
    DestinationRecord,
    FileEntry,
    ManifestRecord,
    RequestRecord,
    RunnerLock,
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
_TICK = 0.2  # how often the runner looks for changes other processes wrote
_START_WAIT = 2.0  # how long start() waits for a lock a controller holds for a moment


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
        self.limiter = _limiter(None, record.send_rate_max)
        self.share = LaneShare(record.lanes)

    def update(self, record: DestinationRecord) -> None:
        """Take the rate and lanes of ``record``, live."""
        if record.send_rate_max != self.record.send_rate_max:
            self.limiter = _limiter(self.limiter, record.send_rate_max)
        if record.lanes != self.record.lanes:
            self.share.set_lanes(record.lanes)
        self.record = record


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
        self.limiter = _limiter(None, self.options.get("send_rate_max"))
        self.token = CancelToken()
        #: files in flight that a suspend interrupts (their upload is kept and continued later)
        self.interruptible: Dict[int, CancelToken] = {}
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

    def update(self, options: Mapping[str, Any]) -> None:
        """Take the priority, lane and rate of ``options`` (as stored), live."""
        rate = options.get("send_rate_max")
        if rate != self.options.get("send_rate_max"):
            self.limiter = _limiter(self.limiter, rate)
        self.options = dict(options)


def _limiter(limiter: Optional[BandwidthLimiter], rate: Optional[float]) -> Optional[BandwidthLimiter]:
    """``limiter`` set to ``rate`` bytes/s (a new one when there was none; None: unlimited)."""
    if not rate:
        return None
    if limiter is None:
        return BandwidthLimiter(rate)
    limiter.set_rate(rate)
    return limiter


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

    Transfers run on this object's threads: they advance only while a started manager is open on
    the folder, and one started manager at a time runs a folder (the *runner*). Any other manager on
    it, also in another process, may still create, suspend, resume, fail, re-prioritise and limit
    transfers: the runner picks each change up within a fraction of a second (docs/transfer.md §5).
    Raises ``InvalidArgumentError`` for a bad ``max_workers``, ``TransferError`` for a state
    database of a newer schema and ``TransferStateError`` when ``start`` finds another runner.
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
        self._lock: Optional[RunnerLock] = None
        self._seen_version = -1
        self._request_thread: Optional[threading.Thread] = None
        self._load()
        if start:
            try:
                self.start()
            except BaseException:  # another runner: release what was opened
                for dest in self._dests.values():
                    if dest.destination is not None:
                        dest.destination.close()
                self._store.close()
                raise

    @property
    def state_dir(self) -> str:
        """The folder that holds the state database."""
        return str(self._store.state_dir)

    def runner_pid(self) -> Optional[int]:
        """The process id of the manager that runs this folder's transfers (this process's own once
        started), None when none does: a transfer resumed or created now waits for one.
        """
        if self._lock is not None:
            return os.getpid()
        return self._store.runner_pid()

    # -- life cycle ---------------------------------------------------------------------------------

    def _load(self) -> None:
        """The destinations the state folder holds; transfers are read from the store until this
        manager runs them (another process may be running them now)."""
        for record in self._store.destinations():
            self._dests[record.id] = self._open(record)

    def _recover(self) -> None:
        """Runtimes for every unfinished transfer, interrupted work made resumable, then the
        controls other processes left applied (lock held, with the runner lock: nothing is in
        flight anywhere)."""
        self._runs = {}
        self._seen_version = self._store.control_version()
        for record in self._store.destinations():
            if record.id not in self._dests:
                self._dests[record.id] = self._open(record)
        for stored in self._store.transfers():
            transfer = stored
            if transfer.status in FINISHED or transfer.destination_id not in self._dests:
                continue
            if transfer.status == "suspending":  # the suspend was asked for: honour it
                self._store.set_transfer(transfer.id, status="suspended")
                transfer = attrs.evolve(transfer, status="suspended")
            elif transfer.status == "transferring":
                transfer = attrs.evolve(transfer, status="queued")
            run = _Run(transfer, self._store.transfer_files(transfer.id))
            self._runs[transfer.id] = run
            self._settle(run)
        self._apply_controls()

    def start(self) -> None:
        """Start the workers and resume the unfinished manifests and transfers (again: no effect).

        ``TransferStateError`` when another manager, in this process or another, runs the folder's
        transfers already (it holds the runner lock).
        """
        with self._cond:
            if self._started:
                return
            deadline = time.monotonic() + _START_WAIT  # a controller may hold the lock for a moment
            lock = self._store.lock_runner()
            while lock is None and time.monotonic() < deadline:
                self._cond.wait(0.05)
                lock = self._store.lock_runner()
            if lock is None:
                raise TransferStateError(
                    f"another manager (pid {self._store.runner_pid()}) runs the transfers of this folder",
                    operation="TransferManager",
                    resource=f"state folder {self.state_dir!r}",
                )
            self._lock, self._started = lock, True
            self._recover()
            queued = {request_id for request_id, _action in self._requests}
            for request in self._store.pending_requests():
                if request.id not in queued:
                    self._store.finish_request(
                        request.id, None, "the manager stopped before the request ran", time.time()
                    )
        for record in self._store.manifests():
            if record.status == "processing":
                self._store.restart_manifest(record.id)
                self._spawn(self._walk, record.id, _specs(record), record.symlink_options)
        self._ensure_request_thread()
        self._spawn(self._watch)
        for number in range(self.max_workers):
            thread = threading.Thread(target=self._work, name=f"cassdk-transfer-{number + 1}", daemon=True)
            self._workers.append(thread)
            thread.start()

    def _ensure_request_thread(self) -> None:
        """The thread that runs the ``...Async`` requests (also in a manager that is not started)."""
        with self._cond:
            if self._request_thread is None and not self._closing:
                self._request_thread = self._spawn(self._serve_requests)

    def _spawn(self, target: Callable[..., None], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name="cassdk-transfer-helper", daemon=True)
        self._helpers.append(thread)
        thread.start()
        return thread

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
        if self._lock is not None:
            self._lock.release()
            self._lock = None

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
        """The destination's runtime; a manager that does not run the folder reads its record
        again, as another process may have made, changed or deleted it."""
        dest = self._dests.get(destination_id) if isinstance(destination_id, str) else None
        if self._lock is None and isinstance(destination_id, str):
            record = self._store.destination(destination_id)
            if record is None:
                dest = self._dests.pop(destination_id, None)
                if dest is not None and dest.destination is not None:
                    dest.destination.close()
                dest = None
            elif dest is None:
                dest = self._dests[record.id] = self._open(record)
            else:
                dest.record = record
        return _found(dest, "destination", destination_id, operation)

    def _destination_info(self, record: DestinationRecord) -> DestinationInfo:
        dest = self._dests.get(record.id) if self._lock is not None else None
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
        if self._lock is None:  # another process may have made or deleted some
            records = self._store.destinations()
        else:
            records = [d.record for d in sorted(self._dests.values(), key=lambda d: d.record.seq)]
        found = [self._destination_info(record) for record in records]
        return found[:limit] if limit else found

    def delete_destination(self, destination_id: str) -> None:
        """Delete the destination ``destination_id`` and its transfers, and close its client.

        ``TransferNotFoundError`` for an unknown id; ``TransferStateError`` while one of its transfers
        is queued, transferring or suspending (suspend or fail them first).
        """
        operation = "deleteDestination"
        with self._cond:
            dest = self._dest(destination_id, operation)
            busy = [
                record.id
                for record in self._store.transfers()
                if record.destination_id == dest.id and self._state_of(record)[0] in ACTIVE
            ]
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
            self._synced()
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
            runs = [(lane, status) for dest_id, lane, status in self._unfinished() if dest_id == dest.id]
            check_lane_change(
                dest.record.lanes,
                checked,
                {lane for lane, _status in runs},
                in_progress=bool(runs),
                operation=operation,
                resource=resource,
            )
            self._store.update_destination(dest.id, lanes=checked)
            self._synced()
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
            self._synced()
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

        def look() -> Tuple[bool, ManifestRecord, str]:
            record = self._manifest_record(manifest_id, operation)
            return record.status != "processing", record, record.status

        with self._cond:
            found = self._wait(look, timeout, operation, f"manifest {manifest_id!r}")
        return self._manifest_info(found)

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
        """The runtime of an unfinished transfer; a finished one is a ``TransferStateError``.

        A manager that does not run the folder gets a view of the stored state, not kept.
        """
        record = self._record(transfer_id, operation)
        run = self._runs.get(record.id) if self._lock is not None else None
        if run is None and self._lock is not None and record.status not in FINISHED:
            with self._cond:  # made by another manager since the last tick
                self._sync()
                run = self._runs.get(record.id)
        if run is None and self._lock is None and record.status not in FINISHED:
            run = _Run(record, self._store.transfer_files(record.id))
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
            run = self._runs.get(record.id) if self._lock is not None else None
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
        """Block until ``transfer_id`` is complete and return it: whichever process runs it, and
        whichever suspends or fails it.

        A transfer that is or becomes suspended cannot complete until someone resumes it, so the
        wait ends there with ``TransferSuspendedError`` (once its files in flight are drained).
        ``TransferFailedError`` when it fails, ``TransferStateError`` when ``timeout`` seconds pass
        first, ``TransferNotFoundError`` for an unknown id.
        """
        operation = "waitForTransfer"
        resource = f"transfer {transfer_id!r}"
        with self._cond:
            status, error = self._await(transfer_id, operation, ("complete", "failed", "suspended"), timeout)
        if status == "failed":
            raise TransferFailedError(error or "failed", operation=operation, resource=resource)
        if status == "suspended":
            raise TransferSuspendedError(
                "the transfer is suspended: resume it to let it complete",
                operation=operation,
                resource=resource,
            )
        return self.get_transfer(transfer_id)

    def _state_of(self, record: TransferRecord) -> Tuple[str, Optional[str]]:
        """(status, error) of a transfer: the runner's own, else as stored (lock held)."""
        run = self._runs.get(record.id) if self._lock is not None else None
        return (run.status, run.error) if run is not None else (record.status, record.error)

    def _unfinished(self) -> List[Tuple[str, str, str]]:
        """(destination id, lane, status) of every unfinished transfer (lock held)."""
        if self._lock is not None:
            return [(run.dest_id, run.lane, run.status) for run in self._runs.values()]
        return [
            (r.destination_id, str(r.options["priority_lane"]), r.status)
            for r in self._store.transfers()
            if r.status not in FINISHED
        ]

    def _await(
        self,
        transfer_id: int,
        operation: str,
        until: Tuple[str, ...],
        timeout: Optional[float] = None,
        *,
        settle: bool = False,
        stored: bool = False,
    ) -> Tuple[str, Optional[str]]:
        """Wait (lock held) until the transfer's status is one of ``until``; ``stored``: as written to
        the store (after the files in flight settled); ``settle``: when the runner goes away
        meanwhile, apply the pending controls here (see ``_changed``)."""

        def look() -> Tuple[bool, Tuple[str, Optional[str]], str]:
            record = self._record(transfer_id, operation)
            status, error = (record.status, record.error) if stored else self._state_of(record)
            return status in until, (status, error), status

        between = self._changed if settle and self._lock is None else None
        return self._wait(look, timeout, operation, f"transfer {transfer_id!r}", between=between)

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
        ``suspended`` (also for the next manager on this folder) until resumed. Blocks until then,
        also when another process runs the transfer (it may complete first).

        Raises as ``check_suspend`` does.
        """
        with self._cond:
            self.check_suspend(transfer_id)
            self._control(transfer_id, SUSPEND)
            self._await(transfer_id, "suspendTransfer", ("suspended", *FINISHED), settle=True)
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
        """Queue the suspended ``transfer_id`` again: its files go out from its last checkpoint, sent by
        the manager that runs the folder (this one when started; else the one started next).

        Raises as ``check_resume`` does.
        """
        with self._cond:
            self.check_resume(transfer_id)
            self._control(transfer_id, RESUME)
            self._await(transfer_id, "resumeTransfer", ACTIVE + FINISHED, settle=True)
        return self.get_transfer(transfer_id)

    def fail_transfer(self, transfer_id: int, error_message: Optional[str] = None) -> TransferInfo:
        """End ``transfer_id`` as failed with ``error_message`` (default: "failed by request"); files in
        flight are cancelled, and the call returns once they have stopped and the failure is stored.

        ``TransferNotFoundError`` for an unknown id, ``TransferStateError`` for a finished transfer,
        ``InvalidTransferArgumentError`` for a message that is not a string.
        """
        operation = "failTransfer"
        if error_message is not None and not isinstance(error_message, str):
            raise InvalidTransferArgumentError(
                "errorMessage must be a string", operation=operation, resource=f"transfer {transfer_id!r}"
            )
        with self._cond:
            self._run(transfer_id, operation)
            self._control(transfer_id, FAIL, error_message or "failed by request")
            self._await(transfer_id, operation, FINISHED, settle=True, stored=True)
        return self.get_transfer(transfer_id)

    def delete_transfer(self, transfer_id: int) -> None:
        """Delete ``transfer_id`` and its record of files. ``TransferStateError`` while it is active
        (suspend or fail it first), ``TransferNotFoundError`` for an unknown id.
        """
        operation = "deleteTransfer"
        with self._cond:
            record = self._record(transfer_id, operation)
            run = self._runs.get(record.id) if self._lock is not None else None
            status = self._state_of(record)[0]
            if status in ACTIVE or (run is not None and run.in_flight):
                why = "suspend or fail it first" if status in ACTIVE else "its files in flight are stopping"
                raise TransferStateError(
                    f"the transfer is {status}: {why}",
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
            self._store.set_transfer(run.id, options={**run.options, **checked})
            self._synced()
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
            self._store.set_transfer(run.id, options={**run.options, "send_rate_max": rate})
            self._synced()
        return rate

    # -- control across processes (docs/transfer.md §5) ----------------------------------------------

    def _control(self, transfer_id: int, action: str, message: Optional[str] = None) -> None:
        """Ask for ``action`` (SUSPEND, RESUME, FAIL) through the store, as any process does, and
        have it applied now where this manager can (lock held)."""
        self._store.request_control(transfer_id, action, message, time.time())
        self._changed()

    def _synced(self) -> None:
        """After a change to options, rates or lanes was written to the store (lock held): the
        runner takes it now, on the same path as its tick; others read the store anyway."""
        if self._lock is not None:
            self._sync()

    def _changed(self) -> None:
        """After a change was written to the store (lock held): the runner applies it at once, on
        the same path as its tick; a manager that does not run the folder applies pending
        controls itself when no runner exists (under the runner lock, so nothing is in flight),
        and otherwise leaves them to the runner's next tick."""
        if self._lock is not None:
            self._sync()
            return
        lock = self._store.lock_runner()
        if lock is None:
            return
        try:
            self._recover()
        finally:
            lock.release()

    def _watch(self) -> None:
        """The runner's tick: one query of the control version, and a sync when it moved."""
        while not self._stop_walks.wait(_TICK):
            if self._store.control_version() != self._seen_version:
                with self._cond:
                    if not self._closing:
                        self._sync()

    def _sync(self) -> None:
        """Take what the store says now (lock held, runner only): destinations made, changed or
        deleted, transfers made or deleted, priorities and rates, then the controls."""
        self._seen_version = self._store.control_version()
        stored = {found.id: found for found in self._store.destinations()}
        for found in stored.values():
            dest = self._dests.get(found.id)
            if dest is None:
                self._dests[found.id] = self._open(found)
            elif found != dest.record:
                dest.update(found)
        records = {record.id: record for record in self._store.transfers()}
        for run_id in [run_id for run_id in self._runs if run_id not in records]:
            self._runs.pop(run_id).token.cancel("the transfer was deleted")
        for record in records.values():
            run = self._runs.get(record.id)
            if run is not None:
                run.update(record.options)
            elif record.status in ("queued", "suspended") and record.destination_id in self._dests:
                self._runs[record.id] = run = _Run(record, self._store.transfer_files(record.id))
                self._settle(run)
        for dest_id in [dest_id for dest_id in self._dests if dest_id not in stored]:
            dest = self._dests.pop(dest_id)
            if dest.destination is not None:
                dest.destination.close()
        self._apply_controls()
        self._cond.notify_all()

    def _apply_controls(self) -> None:
        """Apply the controls any process asked for (lock held, runner lock held): a suspend drains
        and checkpoints, a resume queues, a fail cancels the files in flight."""
        for transfer_id, action, message in self._store.take_controls():
            run = self._runs.get(transfer_id)
            if run is None:
                continue
            if action == SUSPEND and run.status in ("queued", "transferring"):
                run.status = "suspending"
                self._store.set_transfer(run.id, status="suspending")
                for token in run.interruptible.values():  # the parts in flight end; the upload stays
                    token.cancel("the transfer is suspending")
            elif action == RESUME and run.status == "suspended":
                run.status = "queued"
                run.last_ok = time.monotonic()
                self._store.set_transfer(run.id, status="queued")
            elif action == FAIL and run.status not in FINISHED:
                run.status, run.error = "failed", message or "failed by request"
                run.token.cancel("failed by request")
            else:
                continue
            self._settle(run)
        self._cond.notify_all()

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
        self._ensure_request_thread()
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
        resource = f"request {request_id!r}"

        def look() -> Tuple[bool, RequestRecord, str]:
            record = self._store.request(request_id) if isinstance(request_id, int) else None
            record = _found(record, "request", request_id, operation)
            return record.status != "pending", record, record.status

        with self._cond:
            found = self._wait(look, timeout, operation, resource)
        if found.status == "failed":
            raise TransferError(found.error or "failed", operation=operation, resource=resource)
        return found.result

    def _wait(
        self,
        look: Callable[[], Tuple[bool, _T, str]],
        timeout: Optional[float],
        operation: str,
        resource: str,
        *,
        between: Optional[Callable[[], None]] = None,
    ) -> _T:
        """Call ``look`` (lock held) until it answers (True, value, state) and return the value,
        calling ``between`` after each pause; ``TransferStateError`` naming the state once ``timeout``
        seconds (None: no limit) have passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done, value, state = look()
            if done:
                return value
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TransferStateError(
                    f"still {state} after {timeout} s", operation=operation, resource=resource
                )
            self._cond.wait(0.1 if left is None else min(0.1, left))
            if between is not None:
                between()

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
            above = dest.destination.resumable_above
            if above is not None and entry.size > above:
                run.interruptible[idx] = run.token.child()
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
            state, nbytes, error = self._send(run, dest, idx, entry)
            with self._cond:
                before = run.status
                self._finish(run, idx, entry, state, nbytes, error)
                # wake the others only for news: a file to send again or a transfer that moved on
                # (waiters poll anyway; waking all of them after every small file costs CPU)
                if state not in (DONE, SKIPPED) or run.status != before:
                    self._cond.notify_all()

    def _send(
        self, run: _Run, dest: _Dest, idx: int, entry: FileEntry
    ) -> Tuple[str, int, Optional[CASError]]:
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
                cancel_token=run.interruptible.get(idx, run.token),
                limiter=pacer,
                resumable_since=run.created,
            )
            above = destination.resumable_above
            if above is not None and entry.size > above >= sent:
                # listed large but now small enough for one request: what an interrupted send of
                # the larger file left at the service can never be continued
                self._discard_key(run, destination, key)
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
        interruptible = run.interruptible.pop(idx, None)
        if interruptible is not None:
            interruptible.detach()
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
                TransferManager._discard_key(run, destination, destination.key_for(prefix, entry.dest))

    @staticmethod
    def _discard_key(run: _Run, destination: Destination, key: str) -> None:
        """Abort what unfinished sends of ``key`` by ``run`` left; a failure is only logged."""
        try:
            destination.discard(key, run.created)
        except CASError as exc:
            log.warning("transfer %s: could not abort the unfinished upload of %r: %s", run.id, key, exc)


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
