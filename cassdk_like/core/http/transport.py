"""The one place that talks HTTP: pooled connections, signing, retries and error translation.

One ``requests.Session`` per Transport with a blocking pool sized for the client's worker count,
so parallel part transfers reuse warm connections. Every attempt is built and signed afresh
(signatures carry a timestamp), bodies are re-read from their source rather than buffered, and
every failure leaves here as a CASError subclass -- never a requests/urllib3/socket exception.
Thread-safe: many workers may call :meth:`Transport.send` at once.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import sys
import threading
import time
from types import TracebackType
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Type, Union

import requests
import requests.adapters
import requests.exceptions
import urllib3.poolmanager
from requests.utils import get_environ_proxies

from cassdk_like._version import __version__
from cassdk_like.core.cancel import CancelToken, current_cancel_token
from cassdk_like.core.errortable import ErrorDecoder
from cassdk_like.core.exceptions import (
    CASClientError,
    CASError,
    InvalidArgumentError,
    LocalFileError,
    TimedOutError,
    TransferCancelledError,
    TransportError,
)
from cassdk_like.core.http.abort import CANCELLED, DEADLINE, GUARDED_POOL_CLASSES, STALLED, AttemptGuard
from cassdk_like.core.http.failures import translate_send_error
from cassdk_like.core.http.request import (
    BodyReader,
    HttpRequest,
    RequestBody,
    merge_headers,
    parse_endpoint,
    wire_target,
)
from cassdk_like.core.http.response import BodyStream, HttpResponse
from cassdk_like.core.http.retry import RetryBudget, RetryPolicy, parse_retry_after
from cassdk_like.core.http.watchdog import watchdog
from cassdk_like.core.redact import Redactor, redact_library_logs, redact_url_queries

__all__ = ["SEND_BLOCKSIZE", "SignFn", "Transport", "default_user_agent"]

logger = logging.getLogger("cassdk_like.http")

#: called before every attempt with the final headers; adds Authorization (and X-Amz-Date, ...)
SignFn = Callable[[HttpRequest, Dict[str, str]], None]

#: socket send size for request bodies (urllib3 2.x only; 1.26 has no pool-level knob)
SEND_BLOCKSIZE = 256 * 1024
_HAS_BLOCKSIZE = "key_blocksize" in urllib3.poolmanager.PoolKey._fields
_insecure_lock = threading.Lock()
#: per-request base URLs repeat (one host per bucket): parse each once
_parse_target = functools.lru_cache(maxsize=256)(parse_endpoint)
_insecure_warned = False


def default_user_agent() -> str:
    """``cassdk_like/<version> python/<major>.<minor>``."""
    return f"cassdk_like/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"


def _warn_insecure_once() -> None:
    global _insecure_warned  # noqa: PLW0603 -- a process-wide "said it already" flag
    with _insecure_lock:
        if _insecure_warned:
            return
        _insecure_warned = True
    logger.warning("TLS certificate verification is disabled (verify=False); use only for testing")


def _check_timeout(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidArgumentError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


def _check_optional(name: str, value: Optional[float], unit: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidArgumentError(f"{name} must be None or a finite number of {unit} > 0, got {value!r}")
    return float(value)


def _noop() -> None:
    return None


class _PooledAdapter(requests.adapters.HTTPAdapter):
    """HTTPAdapter with a blocking pool of abortable connections (see ``abort``) and, on urllib3
    2.x, a large socket send block."""

    def __init__(self, pool_size: int) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, pool_block=True, max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        if _HAS_BLOCKSIZE:
            pool_kwargs.setdefault("blocksize", SEND_BLOCKSIZE)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(GUARDED_POOL_CLASSES)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(GUARDED_POOL_CLASSES)
        return manager


class Transport:
    """Sends HttpRequests to one endpoint with pooling, fresh signatures and bounded retries.

    Low-level: an HTTP error status is returned, not raised (also when retries ran out on a
    retryable status); only transport failures raise (ConnectionFailedError / TimedOutError /
    BadResponseError, with ``attempts``). Thread-safe. Close it, or use it as a context manager.

    A request's ``base_url`` sends it to another host through the same pool. Inside
    ``cancel_scope(token)`` a cancel stops the call: no new attempt, no retry, the backoff wait
    wakes, and the attempt in flight is aborted (``TransferCancelledError``). ``request_timeout``
    bounds one attempt as a whole -- connect, body upload (given ``size / min_rate`` more),
    waiting for the headers and reading a buffered body -- where ``read_timeout`` bounds only each
    socket read; a streamed body
    instead fails once fewer than ``min_rate`` bytes/s arrive over ``stall_window`` seconds.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        sign: Optional[SignFn] = None,
        retry_policy: Optional[RetryPolicy] = None,
        retry_budget: Optional[RetryBudget] = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_pool_size: int = 10,
        verify: Union[bool, str] = True,
        user_agent: Optional[str] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        request_id_headers: Sequence[str] = ("x-cas-requestid", "x-amzn-requestid"),
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        request_timeout: Optional[float] = 300.0,
        min_rate: Optional[float] = 1024.0,
        stall_window: float = 30.0,
        errors: Optional[ErrorDecoder] = None,
    ) -> None:
        self._base_url, self.host_header = parse_endpoint(endpoint)
        self._errors = errors  # the service's error parser and code table (None: plain JSON errors)
        self.request_timeout = _check_optional("request_timeout", request_timeout, "seconds")
        self.min_rate = _check_optional("min_rate", min_rate, "bytes per second")
        self.stall_window = _check_timeout("stall_window", stall_window)
        self.timeouts = (
            _check_timeout("connect_timeout", connect_timeout),
            _check_timeout("read_timeout", read_timeout),
        )
        if isinstance(max_pool_size, bool) or not isinstance(max_pool_size, int) or max_pool_size < 1:
            raise InvalidArgumentError(f"max_pool_size must be an int >= 1, got {max_pool_size!r}")
        if verify is False:
            _warn_insecure_once()
        self._sign = sign
        self.retry_policy = retry_policy if retry_policy is not None else RetryPolicy()
        self.retry_budget = retry_budget if retry_budget is not None else RetryBudget()
        self._verify = verify
        self.user_agent = user_agent or default_user_agent()
        self._default_headers = dict(default_headers or {})
        self._request_id_headers = tuple(request_id_headers)
        self.redactor = Redactor(secrets)
        redact_library_logs()
        self._sleep = sleep
        self._rng = rng
        self._proxies_by_base: Dict[str, Dict[str, str]] = {}
        self._session = requests.Session()
        self._adapter = _PooledAdapter(max_pool_size)
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)
        self._lock = threading.Lock()
        self._request_count = 0
        self._closed = False

    # -- public helpers -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self._base_url

    @property
    def request_count(self) -> int:
        """HTTP attempts sent so far (retries included)."""
        with self._lock:
            return self._request_count

    def register_secret(self, *values: str) -> None:
        """Scrub these values from every log line from now on."""
        self.redactor.register(*values)

    def target_of(self, request: HttpRequest) -> Tuple[str, str]:
        """(base URL, Host header) of ``request``: its own ``base_url`` or the Transport's endpoint."""
        if request.base_url is None:
            return self._base_url, self.host_header
        return _parse_target(request.base_url)

    def url_for(self, request: HttpRequest) -> str:
        """The wire URL of ``request`` (see :func:`wire_target` for the encoding)."""
        return self.target_of(request)[0] + wire_target(request.path, request.query)

    def _proxies_for(self, base_url: str) -> Dict[str, str]:
        """The environment's proxies for one host, looked up once per host."""
        with self._lock:
            found = self._proxies_by_base.get(base_url)
        if found is None:
            found = dict(get_environ_proxies(base_url))
            with self._lock:
                self._proxies_by_base[base_url] = found
        return found

    def build_headers(self, request: HttpRequest) -> Dict[str, str]:
        """The headers of one attempt before signing: exactly what will go on the wire."""
        headers = {
            "Host": self.target_of(request)[1],
            "User-Agent": self.user_agent,
            "Accept": "*/*",
            "Accept-Encoding": "identity",
        }
        merge_headers(headers, self._default_headers)
        merge_headers(headers, request.headers)
        if request.body is not None or request.method.upper() not in ("GET", "HEAD"):
            merge_headers(headers, {"Content-Length": str(request.content_length)})
        return headers

    # -- sending --------------------------------------------------------------------------------

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send with retries; returns the final answer, raises only when the transport gives up.

        Honours ``current_cancel_token()``: raises ``TransferCancelledError`` once it is cancelled.
        """
        if self._closed:
            raise CASClientError("the transport is closed", operation=request.operation or None)
        token = current_cancel_token()
        reader = BodyReader(request.body) if isinstance(request.body, RequestBody) else None
        policy = self.retry_policy
        attempt = 0
        last_cost: Optional[int] = None
        waited = 0.0
        while True:
            attempt += 1
            self._raise_if_cancelled(token, request)
            try:
                response = self._attempt(request, reader, attempt, token)
            except TransportError as exc:
                self._raise_if_cancelled(token, request, exc)
                if not policy.should_retry_error(
                    exc, idempotent=request.idempotent
                ) or not policy.has_attempts_left(attempt):
                    raise
                delay = policy.backoff(attempt, None, self._rng)
                if not policy.allows_wait(waited, delay):
                    raise
                cost = self.retry_budget.acquire(timeout=isinstance(exc, TimedOutError))
                if cost is None:
                    raise
                reason = type(exc).__name__
            else:
                code = response.error_code
                if not policy.should_retry_status(response.status, code, idempotent=request.idempotent):
                    if response.ok:
                        self.retry_budget.refund(last_cost)
                    return response
                if (token is not None and token.cancelled) or not policy.has_attempts_left(attempt):
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                delay = policy.backoff(attempt, retry_after, self._rng)
                if not policy.allows_wait(waited, delay):
                    return response
                cost = self.retry_budget.acquire()
                if cost is None:
                    return response
                reason = f"HTTP {response.status}" + (f" {code}" if code else "")
                response.close()
            last_cost = cost
            logger.debug(
                "retrying %s %s in %.3fs after %s (attempt %d of %d)",
                request.method,
                self.redactor.text(request.path),
                delay,
                reason,
                attempt,
                policy.total_attempts,
            )
            waited += delay
            self._wait(delay, token, request)

    def _wait(self, delay: float, token: Optional[CancelToken], request: HttpRequest) -> None:
        """The backoff wait; a cancel wakes it (an injected ``sleep`` is used as given)."""
        if token is None or self._sleep is not time.sleep:
            self._sleep(delay)
        else:
            token.wait(delay)
        self._raise_if_cancelled(token, request)

    @staticmethod
    def _raise_if_cancelled(
        token: Optional[CancelToken], request: HttpRequest, cause: Optional[BaseException] = None
    ) -> None:
        if token is None or not token.cancelled:
            return
        error = TransferCancelledError(
            f"request cancelled ({token.reason or 'cancelled'})",
            operation=request.operation or None,
            resource=request.resource or None,
        )
        if cause is not None:
            raise error from cause
        raise error

    def _attempt(
        self,
        request: HttpRequest,
        reader: Optional[BodyReader],
        attempt: int,
        token: Optional[CancelToken] = None,
    ) -> HttpResponse:
        headers = self.build_headers(request)
        if self._sign is not None and request.sign:
            self._sign(request, headers)
        if reader is not None:  # after signing: a signer may have read the body to hash it
            try:
                reader.rewind()
            except (OSError, ValueError) as exc:
                raise self._local_error(request, exc) from exc
        prepared = self._prepare(request, headers, reader)
        with self._lock:
            self._request_count += 1
        guard = AttemptGuard()
        forget_cancel = token.on_cancel(lambda: guard.abort(CANCELLED)) if token is not None else _noop
        allowed = self._deadline_for(request)
        deadline = (
            watchdog.call_later(allowed, lambda: guard.abort(DEADLINE)) if allowed is not None else None
        )
        started = time.monotonic()
        try:
            with guard.active():
                response = self._exchange(request, prepared, headers, reader, attempt, guard, started)
        except BaseException:
            guard.finish()
            raise
        finally:
            forget_cancel()
            if deadline is not None:
                deadline.cancel()
        if not self._streams(request, response.status):
            guard.finish()  # the whole answer is in memory
            return response
        # a streamed body keeps the guard: its stall watch interrupts the connection through it
        late = self._aborted_error(request, guard, attempt)
        if late is not None:  # aborted between the headers and here: the socket is already shut
            response.close()
            raise late
        return response

    @staticmethod
    def _streams(request: HttpRequest, status: int) -> bool:
        """True when the body of this answer is left on the socket for the caller."""
        return request.stream and 200 <= status < 300

    def _exchange(
        self,
        request: HttpRequest,
        prepared: requests.PreparedRequest,
        headers: Mapping[str, str],
        reader: Optional[BodyReader],
        attempt: int,
        guard: AttemptGuard,
        started: float,
    ) -> HttpResponse:
        """One attempt on the wire: send, then wrap (and for a buffered answer, read) the response."""
        try:
            raw = self._adapter.send(
                prepared,
                stream=True,
                timeout=self.timeouts,
                verify=self._verify,
                proxies=self._proxies_for(self.target_of(request)[0]),
            )
        except (requests.exceptions.RequestException, OSError) as exc:
            self._log_attempt(request, headers, type(exc).__name__, attempt, started)
            raise self._aborted_error(request, guard, attempt) or self._send_error(
                request, reader, exc, attempt
            ) from exc
        try:
            response = self._receive(request, raw, attempt, guard)
        except TransportError as exc:
            raw.close()
            self._log_attempt(request, headers, type(exc).__name__, attempt, started)
            aborted = self._aborted_error(request, guard, attempt)
            if aborted is not None:
                raise aborted from exc
            raise
        self._log_attempt(request, headers, str(response.status), attempt, started)
        return response

    def _aborted_error(self, request: HttpRequest, guard: AttemptGuard, attempt: int) -> Optional[CASError]:
        """The error for an attempt that failed because it was aborted, or None."""
        context: Dict[str, Any] = {
            "operation": request.operation or None,
            "resource": request.resource or None,
        }
        if guard.reason == CANCELLED:
            return TransferCancelledError("request cancelled while in flight", **context)
        if guard.reason == DEADLINE:
            why = (
                "request_timeout"
                if self._deadline_for(request) == self.request_timeout
                else ("request_timeout, plus the request body's size at min_rate")
            )
            return TimedOutError(
                f"request attempt exceeded its {self._deadline_for(request) or 0:g} s deadline ({why})",
                attempts=attempt,
                **context,
            )
        return None

    def _prepare(
        self, request: HttpRequest, headers: Dict[str, str], reader: Optional[BodyReader]
    ) -> requests.PreparedRequest:
        for name, value in headers.items():
            try:
                value.encode("latin-1")
            except (AttributeError, UnicodeEncodeError):
                raise InvalidArgumentError(
                    f"header {name!r} must be latin-1 text (encode it before sending)",
                    operation=request.operation or None,
                    resource=request.resource or None,
                ) from None
        body = request.body
        data: Any
        if reader is not None:
            data = reader if len(reader) else None
        elif isinstance(body, memoryview):
            data = body.cast("B") if body.nbytes else None
        else:
            data = body or None
        try:
            prepared = requests.Request(request.method, self.url_for(request), headers=headers).prepare()
        except requests.exceptions.RequestException as exc:
            raise InvalidArgumentError(
                self._scrub(f"cannot build the request: {exc}"),
                operation=request.operation or None,
                resource=request.resource or None,
            ) from None
        # The body goes in as it is: handed to requests as ``data``, a memoryview (no ``__iter__``
        # before Python 3.10) reads as form fields and gains a form Content-Type, which a server
        # may then parse the body as; Content-Length is already among the headers.
        prepared.body = data
        return prepared

    def _deadline_for(self, request: HttpRequest) -> Optional[float]:
        """``request_timeout``, plus the time the request body takes at ``min_rate``: a large part on a
        slow but flowing link must not hit a deadline meant for a server that stopped answering."""
        if self.request_timeout is None:
            return None
        body = request.content_length
        if body and self.min_rate is not None:
            return self.request_timeout + body / self.min_rate
        return self.request_timeout

    def _receive(
        self, request: HttpRequest, raw: requests.Response, attempt: int, guard: AttemptGuard
    ) -> HttpResponse:
        """Wrap the answer; read the body now unless a 2xx answer was asked to stream."""
        status = raw.status_code
        headers = raw.headers
        request_id = next((headers[h] for h in self._request_id_headers if h in headers), None)
        streamed = self._streams(request, status)
        stream = BodyStream(
            raw.raw,
            expected_length=self._expected_length(request, status, headers),
            closer=raw.close,
            attempts=attempt,
            operation=request.operation,
            resource=request.resource,
            min_rate=self.min_rate if streamed else None,  # a buffered body has request_timeout
            stall_window=self.stall_window,
            interrupt=lambda: guard.abort(STALLED),
        )
        body = b""
        if not streamed:
            body = stream.read(decode_content=True)
            stream.close()
        return HttpResponse(
            status,
            headers,
            body,
            request_id=request_id,
            stream=stream if streamed else None,
            attempts=attempt,
            operation=request.operation,
            resource=request.resource,
            errors=self._errors,
        )

    @staticmethod
    def _expected_length(request: HttpRequest, status: int, headers: Mapping[str, str]) -> Optional[int]:
        """Content-Length to check the body against; None when it does not describe the bytes read."""
        if request.method.upper() == "HEAD" or status in (204, 304) or status < 200:
            return None
        if headers.get("Content-Encoding", "identity").lower() != "identity":
            return None  # urllib3 may decode it; the header counts encoded bytes
        value = headers.get("Content-Length", "")
        return int(value) if value.isdigit() else None

    def _send_error(
        self,
        request: HttpRequest,
        reader: Optional[BodyReader],
        exc: BaseException,
        attempt: int,
    ) -> CASError:
        if reader is not None and reader.failure is not None:
            return self._local_error(request, reader.failure)
        return translate_send_error(
            exc,
            host=self.target_of(request)[1],
            redact=self._scrub,
            attempts=attempt,
            operation=request.operation or None,
            resource=request.resource or None,
        )

    def _scrub(self, text: str) -> str:
        """A failure's text for a message: secrets masked, and every URL's query too (a presigned
        URL's query grants access; no field of it helps to debug a connection failure)."""
        return redact_url_queries(self.redactor.text(text))

    def _local_error(self, request: HttpRequest, exc: BaseException) -> LocalFileError:
        return LocalFileError(
            f"could not read the request body: {type(exc).__name__}: {exc}",
            operation=request.operation or None,
            resource=request.resource or None,
        )

    def _log_attempt(
        self, request: HttpRequest, headers: Mapping[str, str], outcome: str, attempt: int, started: float
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        logger.debug(
            "%s %s -> %s (attempt %d of %d, %.3fs)",
            request.method,
            self.redactor.text(request.path),
            outcome,
            attempt,
            self.retry_policy.total_attempts,
            time.monotonic() - started,
        )
        logger.debug("request headers: %s", self.redactor.headers(headers))

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections; further sends raise."""
        self._closed = True
        self._session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Transport {self._base_url} requests={self.request_count}>"
