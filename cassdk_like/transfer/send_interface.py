"""``SendInterface``: JetStream's sending commands, camelCase, over a ``TransferManager``.

Every method keeps the seed's name and parameters and delegates to the manager; answers are dicts
with the seed's keys (docs/transfer.md §6).  Wherever an id is expected its structure is accepted
too (``getTransfer(createTransfer(...))``).  Rates are kilobits per second here and bytes per
second inside the manager.  ``...Async`` commands answer ``{"requestId": n}``: the quick ones run
at once and their request is already complete, a suspend waits on the request thread for the
files in flight; ``getRequestStatus`` / ``getRequestResult`` read them back.  Parameters that only
mean something to JetStream's own UDP protocol (ports, relays, ciphers, receiver logins) are
refused with a typed error rather than silently ignored.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from cassdk_like.transfer.errors import InvalidTransferArgumentError
from cassdk_like.transfer.manager import DestinationInfo, ManifestInfo, TransferInfo, TransferManager
from cassdk_like.transfer.tokens import SharedTokenInfo

__all__ = ["SendInterface", "bytes_per_second", "kilobits_per_second"]

_KBPS = 1000 / 8  # bytes per second in one kilobit per second


def bytes_per_second(kbps: Optional[float]) -> Optional[float]:
    """A seed rate (kbit/s; None or -1: unlimited) in bytes/s, other values left for the manager
    to refuse."""
    if kbps is None or isinstance(kbps, bool) or not isinstance(kbps, (int, float)):
        return kbps
    return kbps if kbps <= 0 else kbps * _KBPS


def kilobits_per_second(rate: Optional[float]) -> Optional[float]:
    return None if rate is None else rate / _KBPS


def _unsupported(operation: str, **given: Any) -> None:
    used = sorted(name for name, value in given.items() if value not in (None, False))
    if used:
        raise InvalidTransferArgumentError(
            f"{', '.join(used)} belong to JetStream's own network protocol and have no meaning "
            "for the SDK's destinations",
            operation=operation,
        )


def _id(value: Any, key: str) -> Any:
    """The id inside a structure, or the value itself."""
    if isinstance(value, Mapping):
        return value.get(key, value)
    return value


def _transfer_id(value: Any) -> Any:
    found = _id(value, "transferId")
    if isinstance(found, str) and found.isdigit():
        return int(found)
    return found


def _object_id(value: Any) -> Any:
    if isinstance(value, Mapping):
        for key in ("tokenId", "transferId", "manifestId", "destinationId"):
            if key in value:
                return value[key]
    return value


def _destination(info: DestinationInfo) -> Dict[str, Any]:
    defaults = info.defaults
    return {
        "destinationId": info.id,
        "destinationAddress": info.address,
        "profile": info.profile,
        "sendRateMax": kilobits_per_second(info.send_rate_max),
        "priorityLanes": dict(info.priority_lanes),
        "transferDefaults": {
            "priority": defaults.get("priority"),
            "priorityLane": defaults.get("priority_lane"),
            "checkpointFrequencySeconds": defaults.get("checkpoint_seconds"),
            "sendRateMax": kilobits_per_second(defaults.get("send_rate_max")),
            "overwriteMode": defaults.get("overwrite_mode"),
            "fileTimeResolutionMicroseconds": defaults.get("time_resolution_us"),
        },
        "exclusive": info.exclusive,
        "permanent": info.permanent,
        "created": info.created,
        "userData": dict(info.user_data),
    }


def _manifest(info: ManifestInfo) -> Dict[str, Any]:
    return {
        "manifestId": info.id,
        "status": info.status,
        "fileCount": info.file_count,
        "totalSize": info.total_size,
        "symlinkOptions": info.symlink_options,
        "errorMessage": info.error,
        "created": info.created,
        "userData": dict(info.user_data),
    }


def _transfer(info: TransferInfo) -> Dict[str, Any]:
    return {
        "transferId": info.id,
        "destinationId": info.destination_id,
        "manifestId": info.manifest_id,
        "status": info.status,
        "processing": info.processing,
        "errorMessage": info.error,
        "destinationPath": info.destination_path,
        "priority": info.priority,
        "priorityLane": info.priority_lane,
        "sendRateMax": kilobits_per_second(info.send_rate_max),
        "checkpointFrequencySeconds": info.checkpoint_seconds,
        "overwriteMode": info.overwrite_mode,
        "fileTimeResolutionMicroseconds": info.time_resolution_us,
        "timeoutSeconds": info.timeout_seconds,
        "fileCount": info.file_count,
        "filesComplete": info.files_done,
        "filesSkipped": info.files_skipped,
        "bytesTotal": info.bytes_total,
        "bytesComplete": info.bytes_done,
        "created": info.created,
        "updated": info.updated,
        "lastCheckpoint": info.checkpointed,
        "userData": dict(info.user_data),
    }


def _token(info: SharedTokenInfo) -> Dict[str, Any]:
    return {
        "token": info.token,
        "tokenId": info.id,
        "manifestId": info.manifest_id,
        "transferId": info.transfer_id,
        "destinationId": info.destination_id,
        "passwordRequired": info.password_required,
        "downloadLimit": info.download_limit,
        "downloadsStarted": info.downloads_started,
        "timeLimitSeconds": info.time_limit_seconds,
        "expires": info.expires,
        "description": info.description,
        "fileCount": info.file_count,
        "totalSize": info.total_size,
        "enforced": dict(info.enforced),
        "created": info.created,
        "updated": info.updated,
        "userData": dict(info.user_data),
    }


class SendInterface:
    """JetStream's ``SendInterface`` over ``manager``, a ``TransferManager`` (docs/transfer.md §6).
    Thread-safe.

    Rates are kilobits per second; an id parameter also takes the dict that holds it. Answers:

    * a *destination dict*: ``destinationId``, ``destinationAddress``, ``profile``, ``sendRateMax``,
      ``priorityLanes``, ``transferDefaults``, ``exclusive``, ``permanent``, ``created``, ``userData``;
    * a *manifest dict*: ``manifestId``, ``status``, ``fileCount``, ``totalSize``,
      ``symlinkOptions``, ``errorMessage``, ``created``, ``userData``;
    * a *transfer dict*: ``transferId``, ``destinationId``, ``manifestId``, ``status``,
      ``processing``, ``errorMessage``, ``destinationPath``, ``priority``, ``priorityLane``,
      ``sendRateMax``, ``checkpointFrequencySeconds``, ``overwriteMode``,
      ``fileTimeResolutionMicroseconds``, ``timeoutSeconds``, ``fileCount``, ``filesComplete``,
      ``filesSkipped``, ``bytesTotal``, ``bytesComplete``, ``created``, ``updated``,
      ``lastCheckpoint``, ``userData``;
    * a *Token Structure*: ``token`` (the string; None where the caller did not give it),
      ``tokenId``, ``manifestId``, ``transferId``, ``destinationId``, ``passwordRequired``,
      ``downloadLimit``, ``downloadsStarted``, ``timeLimitSeconds``, ``expires``, ``description``,
      ``fileCount``, ``totalSize``, ``enforced``, ``created``, ``updated``, ``userData``;
    * a *request*: ``{"requestId": n}``, read back with ``getRequestStatus`` / ``getRequestResult``.

    Errors are the manager's (``TransferError`` and its subclasses), raised before any state changes.
    """

    def __init__(self, manager: TransferManager) -> None:
        self.manager = manager

    # -- destinations -------------------------------------------------------------------------------

    def createDestination(
        self,
        destinationAddress: str,
        sendRateMax: Optional[float] = None,
        destinationPort: Optional[int] = None,
        authenticateDestination: Optional[bool] = None,
        destinationPublicKey: Optional[str] = None,
        relayAddress: Optional[str] = None,
        relayPort: Optional[int] = None,
        senderPort: Optional[int] = None,
        exclusive: Optional[bool] = None,
        permanent: Optional[bool] = None,
        *,
        profile: str = "default",
    ) -> Dict[str, Any]:
        """A destination dict for ``destinationAddress`` (``s3://bucket/prefix``, ``cos://name-appid/prefix``,
        ``cas://vault``, ``file:///dir``), opened with the settings of ``profile``.

        The existing destination with the same address and profile is returned unless ``exclusive``.
        ``sendRateMax``: kbit/s for all its transfers together (None or -1: unlimited). ``permanent`` is
        kept and reported. ``destinationPort``, ``authenticateDestination``, ``destinationPublicKey``,
        ``relayAddress``, ``relayPort`` and ``senderPort`` are refused with
        ``InvalidTransferArgumentError`` when given (JetStream's network protocol only).

        Raises ``InvalidDestinationError``, ``InvalidTransferArgumentError`` or
        ``MissingCredentialsError``, as ``TransferManager.create_destination`` does.
        """
        _unsupported(
            "createDestination",
            destinationPort=destinationPort,
            authenticateDestination=authenticateDestination,
            destinationPublicKey=destinationPublicKey,
            relayAddress=relayAddress,
            relayPort=relayPort,
            senderPort=senderPort,
        )
        info = self.manager.create_destination(
            destinationAddress,
            send_rate_max=bytes_per_second(sendRateMax),
            profile=profile,
            exclusive=bool(exclusive),
            permanent=bool(permanent),
        )
        return _destination(info)

    def getDestination(self, destinationId: Any) -> Dict[str, Any]:
        """The destination dict of ``destinationId``; ``TransferNotFoundError`` when there is none."""
        return _destination(self.manager.get_destination(_id(destinationId, "destinationId")))

    def getDestinations(self, limit: int = 0) -> List[Dict[str, Any]]:
        """Destination dicts, oldest first; at most ``limit`` of them (0: all)."""
        return [_destination(info) for info in self.manager.get_destinations(limit or None)]

    def deleteDestination(self, destinationId: Any) -> None:
        """Delete ``destinationId`` and its transfers. ``TransferStateError`` while one of them is active,
        ``TransferNotFoundError`` for an unknown id.
        """
        self.manager.delete_destination(_id(destinationId, "destinationId"))

    def updateTransferDefaults(
        self,
        destinationId: Any,
        priority: Optional[int] = None,
        transferFlags: Optional[int] = None,
        checkpointFrequencySeconds: Optional[float] = None,
        sendRateMax: Optional[float] = None,
        priorityLane: Optional[str] = None,
        overwriteMode: Optional[int] = None,
        minCipher: Optional[int] = None,
        fileTimeResolutionMicroseconds: Optional[int] = None,
    ) -> None:
        """Defaults for new transfers to ``destinationId``: ``priority``, ``checkpointFrequencySeconds``,
        ``sendRateMax`` (kbit/s), ``priorityLane``, ``overwriteMode``, ``fileTimeResolutionMicroseconds``;
        None keeps a value. ``transferFlags`` and ``minCipher`` are refused with
        ``InvalidTransferArgumentError`` when given (JetStream's network protocol only).

        ``InvalidTransferArgumentError`` / ``LaneConfigError`` for a bad value,
        ``TransferNotFoundError`` for an unknown id.
        """
        _unsupported("updateTransferDefaults", transferFlags=transferFlags, minCipher=minCipher)
        self.manager.update_transfer_defaults(
            _id(destinationId, "destinationId"),
            priority=priority,
            checkpoint_seconds=checkpointFrequencySeconds,
            send_rate_max=bytes_per_second(sendRateMax),
            priority_lane=priorityLane,
            overwrite_mode=overwriteMode,
            time_resolution_us=fileTimeResolutionMicroseconds,
        )

    def setPriorityLanesAsync(self, destinationId: Any, priorityLanes: Mapping[str, float]) -> Dict[str, int]:
        """New ``priorityLanes`` (name -> proportion) for ``destinationId``, applied at once; answers a
        request whose result is ``{"priorityLanes": {...}}``.

        Checked at the call: a set against the lane rules (docs/transfer.md §4) raises
        ``LaneConfigError`` and changes nothing; ``TransferNotFoundError`` for an unknown id.
        """
        ident = _id(destinationId, "destinationId")
        lanes = self.manager.set_priority_lanes(ident, priorityLanes)
        return self._done("setPriorityLanes", str(ident), {"priorityLanes": lanes})

    def setSendRateMaxAsync(self, destinationId: Any, sendRateMax: Optional[float]) -> Dict[str, int]:
        """The send rate of ``destinationId``, ``sendRateMax`` kbit/s (None or -1: unlimited), live;
        answers a request whose result is ``{"sendRateMax": kbps}``.
        ``InvalidTransferArgumentError`` for a bad rate, ``TransferNotFoundError`` for an unknown id.
        """
        ident = _id(destinationId, "destinationId")
        rate = self.manager.set_send_rate_max(ident, bytes_per_second(sendRateMax))
        return self._done("setSendRateMax", str(ident), {"sendRateMax": kilobits_per_second(rate)})

    # -- manifests ----------------------------------------------------------------------------------

    def createManifest(
        self,
        fileMappings: Optional[Mapping[Any, Any]] = None,
        mappings: Optional[Mapping[Any, Any]] = None,
        symlinkOptions: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A manifest dict for ``mappings`` (destination path -> source path or
        ``{src, size, flags, access, include, exclude}``, docs/transfer.md §3); ``fileMappings`` is the
        deprecated source -> destination form; ``symlinkOptions`` is ``SYMLINKS_COPY_CONTENTS``
        (default) or ``SYMLINKS_IGNORE``. A folder is walked in the background (status ``processing``,
        see ``waitForManifest``). ``InvalidManifestError`` for a bad mapping or a missing source.
        """
        info = self.manager.create_manifest(
            mappings, file_mappings=fileMappings, symlink_options=symlinkOptions
        )
        return _manifest(info)

    def getManifest(self, manifestId: Any) -> Dict[str, Any]:
        """The manifest dict of ``manifestId``; ``TransferNotFoundError`` when there is none."""
        return _manifest(self.manager.get_manifest(_id(manifestId, "manifestId")))

    def getManifests(
        self, before: Any = None, after: Any = None, limit: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """Manifest dicts, oldest first, made ``before`` / ``after`` the given manifests, at most ``limit``.
        ``TransferNotFoundError`` when a bound names no manifest.
        """
        found = self.manager.get_manifests(
            before=_id(before, "manifestId"), after=_id(after, "manifestId"), limit=limit
        )
        return [_manifest(info) for info in found]

    def getManifestFiles(self, manifestId: Any, limit: Optional[int] = None) -> Dict[str, Any]:
        """``{"manifestId": id, "files": [{destination, source, size, flags, access}, ...]}`` for
        ``manifestId``, at most ``limit`` files; ``TransferNotFoundError`` for an unknown id.
        """
        ident = _id(manifestId, "manifestId")
        files = self.manager.get_manifest_files(ident, limit)
        return {
            "manifestId": ident,
            "files": [
                {"destination": f.dest, "source": f.src, "size": f.size, "flags": f.flags, "access": f.access}
                for f in files
            ],
        }

    def waitForManifest(self, manifestId: Any) -> Dict[str, Any]:
        """The manifest dict of ``manifestId`` once its walk is over (status ``complete`` or ``error``)."""
        return _manifest(self.manager.wait_for_manifest(_id(manifestId, "manifestId")))

    def deleteManifest(self, manifestId: Any) -> None:
        """Delete ``manifestId`` (transfers made from it keep their files); ``TransferNotFoundError`` for an
        unknown id.
        """
        self.manager.delete_manifest(_id(manifestId, "manifestId"))

    # -- transfers ----------------------------------------------------------------------------------

    def createTransfer(
        self,
        destinationId: Any,
        manifestId: Any,
        destinationPath: Optional[str] = None,
        userName: Optional[str] = None,
        password: Optional[str] = None,
        priority: Optional[int] = None,
        transferFlags: Optional[int] = None,
        checkpointFrequencySeconds: Optional[float] = None,
        sendRateMax: Optional[float] = None,
        priorityLane: Optional[str] = None,
        overwriteMode: Optional[int] = None,
        minCipher: Optional[int] = None,
        fileTimeResolutionMicroseconds: Optional[int] = None,
        timeoutSeconds: Optional[float] = None,
        userData: Optional[Mapping[str, str]] = None,
        token: Optional[str] = None,
        transferLog: bool = False,
    ) -> Dict[str, Any]:
        """A transfer dict: the files of ``manifestId`` queued for ``destinationId``.

        ``destinationPath``: a folder under the destination for every file; ``priority`` (lower first
        within a lane); ``priorityLane``; ``checkpointFrequencySeconds``; ``sendRateMax`` (kbit/s, the
        transfer's own cap; -1: none); ``overwriteMode``; ``fileTimeResolutionMicroseconds``;
        ``timeoutSeconds`` (keep retrying failing files this long); ``userData`` (string keys and values).
        Left None, each comes from the destination's defaults. ``userName``, ``password``,
        ``transferFlags``, ``minCipher``, ``token`` and ``transferLog`` are refused with
        ``InvalidTransferArgumentError`` when given (JetStream's network protocol only; shared tokens
        and transfer logs are not offered yet).

        Raises as ``TransferManager.create_transfer`` does; ``processing`` is True until the transfer
        completes, fails or is suspended.
        """
        _unsupported(
            "createTransfer",
            userName=userName,
            password=password,
            transferFlags=transferFlags,
            minCipher=minCipher,
            token=token,
            transferLog=transferLog,
        )
        info = self.manager.create_transfer(
            _id(destinationId, "destinationId"),
            _id(manifestId, "manifestId"),
            destination_path=destinationPath,
            priority=priority,
            checkpoint_seconds=checkpointFrequencySeconds,
            send_rate_max=bytes_per_second(sendRateMax),
            priority_lane=priorityLane,
            overwrite_mode=overwriteMode,
            time_resolution_us=fileTimeResolutionMicroseconds,
            timeout_seconds=timeoutSeconds,
            user_data=userData,
        )
        return _transfer(info)

    def getTransfer(self, transferId: Any, getCompleteFlags: Optional[bool] = None) -> Dict[str, Any]:
        """The transfer dict of ``transferId``; ``TransferNotFoundError`` for an unknown id.

        ``getCompleteFlags`` is refused with ``InvalidTransferArgumentError`` when given (JetStream's
        network protocol only).
        """
        _unsupported("getTransfer", getCompleteFlags=getCompleteFlags)
        return _transfer(self.manager.get_transfer(_transfer_id(transferId)))

    def getTransfers(
        self,
        destinationId: Any = None,
        before: Any = None,
        after: Any = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Transfer dicts, oldest first: to ``destinationId`` only when given, made ``before`` / ``after``
        the given transfers, at most ``limit``. ``TransferNotFoundError`` when an id names nothing.
        """
        found = self.manager.get_transfers(
            _id(destinationId, "destinationId"),
            before=_transfer_id(before),
            after=_transfer_id(after),
            limit=limit,
        )
        return [_transfer(info) for info in found]

    def waitForTransfer(self, transferId: Any, timeout: Optional[float] = None) -> Dict[str, Any]:
        """The transfer dict of ``transferId`` once it is complete (``status`` ``complete``), whichever
        process runs it. It cannot complete while suspended, so the wait ends there:
        ``TransferSuspendedError`` for a suspended transfer (also one suspended during the wait),
        ``TransferFailedError`` with its message for a failed one, ``TransferNotFoundError`` for an
        unknown id; ``timeout`` (seconds, None: no limit) ends it with ``TransferStateError``.
        """
        return _transfer(self.manager.wait_for_transfer(_transfer_id(transferId), timeout))

    def suspendTransferAsync(self, transferId: Any) -> Dict[str, int]:
        """Suspend ``transferId``: checked now (``TransferNotFoundError``, ``TransferStateError`` unless it is
        queued or transferring); the request completes, with ``{"transferId": id}``, once the files in
        flight are sent and checkpointed.
        """
        ident = _transfer_id(transferId)
        self.manager.check_suspend(ident)

        def suspend() -> Dict[str, Any]:
            self.manager.suspend_transfer(ident)
            return {"transferId": ident}

        return {"requestId": self.manager.submit("suspendTransfer", str(ident), suspend)}

    def resumeTransferAsync(self, transferId: Any) -> Dict[str, int]:
        """Resume the suspended ``transferId`` from its last checkpoint; a completed request with
        ``{"transferId": id}``. ``TransferStateError`` unless it is suspended.
        """
        ident = _transfer_id(transferId)
        self.manager.resume_transfer(ident)
        return self._done("resumeTransfer", str(ident), {"transferId": ident})

    def setTransferPriorityAsync(
        self,
        transferId: Any,
        priority: Optional[int] = None,
        priorityLane: Optional[str] = None,
    ) -> Dict[str, int]:
        """Move the unfinished ``transferId`` to ``priority`` and/or ``priorityLane`` (None keeps either),
        live; a completed request with ``{"transferId": id}``. ``InvalidTransferArgumentError`` /
        ``LaneConfigError`` for bad values, ``TransferStateError`` for a finished transfer.
        """
        ident = _transfer_id(transferId)
        self.manager.set_transfer_priority(ident, priority, priorityLane)
        return self._done("setTransferPriority", str(ident), {"transferId": ident})

    def setTransferSendRateMaxAsync(self, transferId: Any, sendRateMax: Optional[float]) -> Dict[str, int]:
        """The own cap of ``transferId``, ``sendRateMax`` kbit/s (-1 or None: none), live; a completed
        request with ``{"sendRateMax": kbps or -1}``. ``InvalidTransferArgumentError`` for a bad rate.
        """
        ident = _transfer_id(transferId)
        rate = self.manager.set_transfer_send_rate_max(ident, bytes_per_second(sendRateMax))
        result = {"sendRateMax": -1 if rate is None else kilobits_per_second(rate)}
        return self._done("setTransferSendRateMax", str(ident), result)

    def failTransfer(self, transferId: Any, errorMessage: Optional[str] = None) -> None:
        """End ``transferId`` as failed with ``errorMessage``; files in flight are cancelled.
        ``TransferStateError`` for a finished transfer, ``TransferNotFoundError`` for an unknown id.
        """
        self.manager.fail_transfer(_transfer_id(transferId), errorMessage)

    def deleteTransfer(self, transferId: Any) -> None:
        """Delete ``transferId``; ``TransferStateError`` while it is active (suspend or fail it first)."""
        self.manager.delete_transfer(_transfer_id(transferId))

    # -- shared tokens (docs/transfer.md §8) ----------------------------------------------------------

    def createSharedToken(
        self,
        manifestId: Any,
        password: Optional[str] = None,
        downloadLimit: Optional[int] = None,
        timeLimitSeconds: Optional[int] = None,
        description: Optional[str] = None,
    ) -> Dict[str, Any]:
        """A Token Structure whose ``token`` lets a client download the files of ``manifestId`` as the
        latest completed S3/COS transfer delivered them (``cassdk_like.transfer.redeem_shared_token``);
        ``password``: needed as well; ``downloadLimit``: times a download can be initiated with it;
        ``timeLimitSeconds``: at most 7 days (the default); ``description``: kept and reported.
        """
        info = self.manager.create_shared_token(
            _id(manifestId, "manifestId"), password, downloadLimit, timeLimitSeconds, description
        )
        return _token(info)

    def getSharedToken(self, token: Any) -> Dict[str, Any]:
        """The Token Structure of ``token`` (its string, ``tokenId`` or structure)."""
        return _token(self.manager.get_shared_token(token))

    def getSharedTokens(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """Every Token Structure, oldest first, at most ``limit``; ``token`` is None (never stored)."""
        return [_token(info) for info in self.manager.get_shared_tokens(limit)]

    def updateSharedToken(
        self, token: Any, timeLimitSeconds: Optional[int] = None, description: Optional[str] = None
    ) -> Dict[str, Any]:
        """``token`` with a new ``timeLimitSeconds`` (from now, within 7 days of its creation) and/or
        ``description``."""
        return _token(self.manager.update_shared_token(token, timeLimitSeconds, description))

    def deleteSharedToken(self, token: Any) -> None:
        """Delete ``token``; a download already under way continues."""
        self.manager.delete_shared_token(token)

    # -- user data ----------------------------------------------------------------------------------

    def updateObjectUserData(self, objId: Any, key: str, value: Optional[str] = None) -> None:
        """Set user data ``key`` to ``value`` on ``objId`` (a destination, manifest or transfer, or its
        dict); ``TransferNotFoundError`` when it names nothing.
        """
        self.manager.update_user_data(_object_id(objId), key, value)

    def deleteObjectUserData(self, objId: Any, key: str) -> None:
        """Remove user data ``key`` from ``objId``; ``TransferNotFoundError`` when the object or the key is
        missing.
        """
        self.manager.delete_user_data(_object_id(objId), key)

    # -- requests -----------------------------------------------------------------------------------

    def _done(self, kind: str, target: str, result: Dict[str, Any]) -> Dict[str, int]:
        return {"requestId": self.manager.completed_request(kind, target, result)}

    def getRequestStatus(self, requestId: Any) -> Dict[str, Any]:
        """``{"requestId", "status", "errorMessage"}`` of ``requestId``; status is ``pending``,
        ``complete`` or ``failed``. ``TransferNotFoundError`` for an unknown id.
        """
        ident = _id(requestId, "requestId")
        status, error = self.manager.request_status(ident)
        return {"requestId": ident, "status": status, "errorMessage": error}

    def getRequestResult(self, requestId: Any, timeout: Optional[float] = None) -> Any:
        """The result of ``requestId``, waiting up to ``timeout`` seconds (None: no limit) for it to run;
        ``TransferError`` with its message when it failed, ``TransferStateError`` when the wait times out.
        """
        return self.manager.request_result(_id(requestId, "requestId"), timeout)
