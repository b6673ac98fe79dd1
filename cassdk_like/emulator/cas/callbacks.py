"""Job-completion callbacks: the job JSON POSTed to CallBackUrl and the vault's notification URL.

Why a thread of its own: a slow or dead callback receiver must never hold up a request or a job
completion, exactly as with the real service. Failed deliveries are counted and logged, not retried.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.request
from typing import Any, Dict, Optional, Tuple

from cassdk_like.core.redact import redact_line, redact_url

__all__ = ["Notifier"]

_log = logging.getLogger("cassdk_like.emulator")
_STOP = object()


class Notifier:
    """Posts JSON documents from one background thread. Thread-safe."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        # callbacks go straight to the receiver: proxies from the environment must not intercept them
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cas-emulator-callbacks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def post(self, url: str, document: Dict[str, Any]) -> None:
        self._queue.put((url, json.dumps(document).encode("utf-8")))

    def counts(self) -> Tuple[int, int]:
        with self._lock:
            return self.sent, self.failed

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            url, body = item
            request = urllib.request.Request(  # noqa: S310 - the URL is an http(s) CallBackUrl
                url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    response.read()
                ok = True
            except Exception as exc:  # any failure of a user's receiver is only logged
                _log.warning("callback POST to %s failed: %s", redact_url(url), redact_line(str(exc)))
                ok = False
            with self._lock:
                if ok:
                    self.sent += 1
                else:
                    self.failed += 1
