"""Job lifecycle: InProgress until the tier delay (x job_delay_scale) passes, then Succeeded or Failed.

Why both a thread and lazy advancing: the runner thread finishes jobs on time so callbacks go out
promptly, and every read (describe, list, output) first finishes whatever is due, so a client never
sees InProgress after the delay has passed, whatever the thread scheduling. Due times are wall-clock
and stored, so jobs keep their schedule across a restart.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.cas.callbacks import Notifier
from cassdk_like.emulator.cas.errors import invalid_value, not_found
from cassdk_like.emulator.cas.joboutput import Finisher, JobFailure
from cassdk_like.emulator.cas.jobspec import ACTIONS, JobRules, parse_job_request
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.util import JOB_ID_BYTES, iso_ms, new_id
from cassdk_like.emulator.db import Database

__all__ = ["JobManager", "JobOutput"]

_log = logging.getLogger("cassdk_like.emulator")


class JobOutput:
    """Where a finished job's output lives and how to describe it."""

    __slots__ = ("content_type", "doc", "path", "size", "token")

    def __init__(self, doc: Dict[str, Any], token: str, path: str, size: int, content_type: str) -> None:
        self.doc = doc
        self.token = token
        self.path = path
        self.size = size
        self.content_type = content_type


class JobManager:
    """Creates, finishes, lists and expires jobs. Thread-safe."""

    def __init__(
        self,
        db: Database,
        store: Store,
        finisher: Finisher,
        notifier: Notifier,
        *,
        render: Callable[[str, Mapping[str, Any]], Dict[str, Any]],
        clock: Callable[[], float],
        retention: float,
        housekeeping: Callable[[float], None],
    ) -> None:
        self.db = db
        self.store = store
        self.finisher = finisher
        self.notifier = notifier
        self.render = render
        self.clock = clock
        self.retention = retention
        self.housekeeping = housekeeping
        self._finishing = threading.RLock()
        self._wake = threading.Condition()
        self._stopping = False
        self._generation = 0  # bumped on every new job so the runner never sleeps past one
        self._thread: Optional[threading.Thread] = None

    # -- requests -----------------------------------------------------------------------------

    def initiate(self, vault: str, body: Mapping[str, Any], rules: JobRules, dialect: str) -> str:
        now = self.clock()
        self.store.vault(vault)
        job_id = new_id(JOB_ID_BYTES)
        doc, delay = parse_job_request(
            body, vault=vault, store=self.store, rules=rules, job_id=job_id, now=now
        )
        doc["_dialect"] = dialect
        with self.db.tx() as conn:
            self.store.require_in(conn, vault)
            conn.execute(
                "INSERT INTO jobs(id, vault, created, due, doc, state) VALUES (?, ?, ?, ?, ?, 'InProgress')",
                (job_id, vault, now, now + delay, json.dumps(doc)),
            )
        with self._wake:
            self._generation += 1
            self._wake.notify_all()
        return job_id

    def describe(self, vault: str, job_id: str) -> Dict[str, Any]:
        self.advance()
        self.store.vault(vault)
        row = self.db.row("SELECT doc FROM jobs WHERE id = ? AND vault = ?", (job_id, vault))
        if row is None:
            raise not_found(f"job {job_id!r} does not exist in vault {vault!r}")
        return dict(json.loads(row["doc"]))

    def list(
        self,
        vault: str,
        *,
        completed: Optional[bool],
        status: Optional[str],
        marker: Optional[str],
        limit: int,
    ) -> Tuple[List[Dict[str, Any]], Optional[str]]:
        """Jobs by creation time, filtered; the marker is the id of the next page's first job."""
        self.advance()
        self.store.vault(vault)
        where, args = "vault = ?", [vault]
        if completed is not None:
            where += " AND state " + ("!=" if completed else "=") + " 'InProgress'"
        if status is not None:
            where += " AND state = ?"
            args.append(status)
        after: Tuple[float, int] = (-1.0, -1)
        if marker is not None:
            found = self.db.row("SELECT created, rowid FROM jobs WHERE id = ? AND vault = ?", (marker, vault))
            if found is None:
                raise invalid_value(f"marker {marker!r} does not name a job of this vault")
            after = (found[0], found[1])
        rows = self.db.rows(
            f"SELECT doc FROM jobs WHERE {where} AND (created > ? OR (created = ? AND rowid >= ?))"  # noqa: S608
            " ORDER BY created, rowid LIMIT ?",
            [*args, after[0], after[0], after[1], limit + 1],
        )
        docs = [dict(json.loads(r["doc"])) for r in rows]
        return docs[:limit], (docs[limit]["JobId"] if len(docs) > limit else None)

    def output(self, vault: str, job_id: str) -> JobOutput:
        doc = self.describe(vault, job_id)
        if doc["StatusCode"] == "InProgress":
            raise invalid_value(f"the job is not currently available for download: {job_id}")
        if doc["StatusCode"] == "Failed":
            raise invalid_value(f"the job failed and has no output: {doc['StatusMessage']}")
        row = self.db.row("SELECT output FROM jobs WHERE id = ?", (job_id,))
        if row is None or row["output"] is None:
            raise invalid_value(f"a {doc['Action']} job has no output to download")
        token = str(row["output"])
        path = self.db.path(token)
        if doc["Action"] == "InventoryRetrieval":
            fmt = doc["InventoryRetrievalParameters"]["Format"]
            content_type = "text/csv" if fmt == "CSV" else "application/json"
        else:
            content_type = "application/octet-stream"
        return JobOutput(doc, token, str(path), path.stat().st_size, content_type)

    # -- lifecycle ----------------------------------------------------------------------------

    def advance(self) -> None:
        """Finish every job whose delay has passed (idempotent; safe from any thread)."""
        now = self.clock()
        for row in self.db.rows(
            "SELECT id FROM jobs WHERE state = 'InProgress' AND due <= ? ORDER BY due, rowid", (now,)
        ):
            self._finish(str(row["id"]))

    def finish_all(self) -> None:
        """Make every in-progress job due now and finish it (tests that must not wait)."""
        now = self.clock()
        with self.db.tx() as conn:
            conn.execute("UPDATE jobs SET due = ? WHERE state = 'InProgress' AND due > ?", (now, now))
        self.advance()

    def _finish(self, job_id: str) -> None:
        with self._finishing:
            row = self.db.row("SELECT vault, doc, state FROM jobs WHERE id = ?", (job_id,))
            if row is None or row["state"] != "InProgress":
                return
            vault, doc = str(row["vault"]), dict(json.loads(row["doc"]))
            now = self.clock()
            token: Optional[str] = None
            try:
                updates, token = self.finisher.finish(vault, doc, now)
                doc.update(updates)
                doc.update(StatusCode="Succeeded", StatusMessage="Succeeded")
            except JobFailure as exc:
                doc.update(StatusCode="Failed", StatusMessage=str(exc))
            except Exception as exc:  # an emulator bug must fail the job, not the thread
                _log.exception("finishing job %s failed", job_id)
                doc.update(StatusCode="Failed", StatusMessage=f"internal error: {exc}")
            doc.update(Completed=True, CompletionDate=iso_ms(now))
            with self.db.tx() as conn:
                conn.execute(
                    "UPDATE jobs SET doc = ?, state = ?, output = ?, finished = ? WHERE id = ?",
                    (json.dumps(doc), doc["StatusCode"], token, now, job_id),
                )
        self._notify(vault, doc)

    def _notify(self, vault: str, doc: Dict[str, Any]) -> None:
        urls = [doc["CallBackUrl"]] if doc.get("CallBackUrl") else []
        try:
            config = self.store.get_config(vault, "notifications")
        except Exception:  # the vault may be gone by now
            config = None
        event = ACTIONS[doc["_type"]][1]
        if config and event in config.get("Events", []) and config.get("CallBackUrl") not in urls:
            urls.append(config["CallBackUrl"])
        payload = self.render(vault, doc)
        for url in urls:
            if url.startswith(("http://", "https://")):
                self.notifier.post(url, payload)

    def purge_expired(self, now: float) -> None:
        """Forget jobs finished more than the retention period ago (the cache pool keeps 24 h)."""
        with self.db.tx() as conn:
            rows = conn.execute(
                "SELECT id, output FROM jobs WHERE finished IS NOT NULL AND finished + ? < ?",
                (self.retention, now),
            ).fetchall()
            conn.executemany("DELETE FROM jobs WHERE id = ?", [(r["id"],) for r in rows])
        self.db.discard(*[r["output"] for r in rows])

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="cas-emulator-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        pause = 0.0
        while True:
            with self._wake:
                generation = self._generation
            row = self.db.row("SELECT MIN(due) FROM jobs WHERE state = 'InProgress'")
            next_due = None if row is None or row[0] is None else float(row[0])
            with self._wake:
                wait = 60.0 if next_due is None else min(60.0, max(0.0, next_due - self.clock()))
                wait = max(wait, pause)
                if wait > 0 and not self._stopping and generation == self._generation:
                    self._wake.wait(wait)
                if self._stopping:
                    return
            try:
                self.advance()
                now = self.clock()
                self.purge_expired(now)
                self.housekeeping(now)
                pause = 0.0
            except Exception:  # keep the runner alive; the next request advances jobs anyway
                _log.exception("job runner iteration failed")
                pause = 1.0
