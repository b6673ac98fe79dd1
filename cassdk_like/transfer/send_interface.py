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
        for key in ("transferId", "manifestId", "destinationId"):
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


class SendInterface:
    """JetStream's ``SendInterface`` over ``manager`` (docs/transfer.md §6). Thread-safe."""

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
        """A destination for an address (``s3://``, ``cos://``, ``cas://``, ``file://``), or the
        existing one with the same address and profile unless ``exclusive``."""
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
        return _destination(self.manager.get_destination(_id(destinationId, "destinationId")))

    def getDestinations(self, limit: int = 0) -> List[Dict[str, Any]]:
        return [_destination(info) for info in self.manager.get_destinations(limit or None)]

    def deleteDestination(self, destinationId: Any) -> None:
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
        """New lanes (checked at the call: a bad set raises ``LaneConfigError`` and changes nothing)."""
        ident = _id(destinationId, "destinationId")
        lanes = self.manager.set_priority_lanes(ident, priorityLanes)
        return self._done("setPriorityLanes", str(ident), {"priorityLanes": lanes})

    def setSendRateMaxAsync(self, destinationId: Any, sendRateMax: Optional[float]) -> Dict[str, int]:
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
        info = self.manager.create_manifest(
            mappings, file_mappings=fileMappings, symlink_options=symlinkOptions
        )
        return _manifest(info)

    def getManifest(self, manifestId: Any) -> Dict[str, Any]:
        return _manifest(self.manager.get_manifest(_id(manifestId, "manifestId")))

    def getManifests(
        self, before: Any = None, after: Any = None, limit: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        found = self.manager.get_manifests(
            before=_id(before, "manifestId"), after=_id(after, "manifestId"), limit=limit
        )
        return [_manifest(info) for info in found]

    def getManifestFiles(self, manifestId: Any, limit: Optional[int] = None) -> Dict[str, Any]:
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
        return _manifest(self.manager.wait_for_manifest(_id(manifestId, "manifestId")))

    def deleteManifest(self, manifestId: Any) -> None:
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
        """A transfer of the manifest's files to the destination; ``processing`` is True until it
        completes, fails or is suspended."""
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
        _unsupported("getTransfer", getCompleteFlags=getCompleteFlags)
        return _transfer(self.manager.get_transfer(_transfer_id(transferId)))

    def getTransfers(
        self,
        destinationId: Any = None,
        before: Any = None,
        after: Any = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        found = self.manager.get_transfers(
            _id(destinationId, "destinationId"),
            before=_transfer_id(before),
            after=_transfer_id(after),
            limit=limit,
        )
        return [_transfer(info) for info in found]

    def waitForTransfer(self, transferId: Any) -> Dict[str, Any]:
        return _transfer(self.manager.wait_for_transfer(_transfer_id(transferId)))

    def suspendTransferAsync(self, transferId: Any) -> Dict[str, int]:
        """Checked now; the request completes once the files in flight are sent and checkpointed."""
        ident = _transfer_id(transferId)
        self.manager.check_suspend(ident)

        def suspend() -> Dict[str, Any]:
            self.manager.suspend_transfer(ident)
            return {"transferId": ident}

        return {"requestId": self.manager.submit("suspendTransfer", str(ident), suspend)}

    def resumeTransferAsync(self, transferId: Any) -> Dict[str, int]:
        ident = _transfer_id(transferId)
        self.manager.resume_transfer(ident)
        return self._done("resumeTransfer", str(ident), {"transferId": ident})

    def setTransferPriorityAsync(
        self,
        transferId: Any,
        priority: Optional[int] = None,
        priorityLane: Optional[str] = None,
    ) -> Dict[str, int]:
        ident = _transfer_id(transferId)
        self.manager.set_transfer_priority(ident, priority, priorityLane)
        return self._done("setTransferPriority", str(ident), {"transferId": ident})

    def setTransferSendRateMaxAsync(self, transferId: Any, sendRateMax: Optional[float]) -> Dict[str, int]:
        ident = _transfer_id(transferId)
        rate = self.manager.set_transfer_send_rate_max(ident, bytes_per_second(sendRateMax))
        result = {"sendRateMax": -1 if rate is None else kilobits_per_second(rate)}
        return self._done("setTransferSendRateMax", str(ident), result)

    def failTransfer(self, transferId: Any, errorMessage: Optional[str] = None) -> None:
        self.manager.fail_transfer(_transfer_id(transferId), errorMessage)

    def deleteTransfer(self, transferId: Any) -> None:
        self.manager.delete_transfer(_transfer_id(transferId))

    # -- user data ----------------------------------------------------------------------------------

    def updateObjectUserData(self, objId: Any, key: str, value: Optional[str] = None) -> None:
        self.manager.update_user_data(_object_id(objId), key, value)

    def deleteObjectUserData(self, objId: Any, key: str) -> None:
        self.manager.delete_user_data(_object_id(objId), key)

    # -- requests -----------------------------------------------------------------------------------

    def _done(self, kind: str, target: str, result: Dict[str, Any]) -> Dict[str, int]:
        return {"requestId": self.manager.completed_request(kind, target, result)}

    def getRequestStatus(self, requestId: Any) -> Dict[str, Any]:
        ident = _id(requestId, "requestId")
        status, error = self.manager.request_status(ident)
        return {"requestId": ident, "status": status, "errorMessage": error}

    def getRequestResult(self, requestId: Any, timeout: Optional[float] = None) -> Any:
        """The request's result, waiting for it to run; its error as a ``TransferError``."""
        return self.manager.request_result(_id(requestId, "requestId"), timeout)
