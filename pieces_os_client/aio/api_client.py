"""``AsyncApiClient``: the aiohttp transport behind ``AsyncModelsApi``.

Only sending bytes is done here. Validation, request building, status mapping and parsing come
from :mod:`pieces_os_client._core.endpoint`; whether to retry, and when, from the same
:class:`~pieces_os_client._core.retry.RetryDecision` the sync client asks
(``Configuration.retries`` may be a count or any urllib3 ``Retry``: every counter, status,
backoff and ``Retry-After`` rule of it is followed); error messages from
:mod:`pieces_os_client._core.failures`; logging is the sync client's (method, URL, status and
timing, never a header value).

The aiohttp ``ClientSession`` is made on first use, one per event loop: a client can be used
from successive ``asyncio.run()`` calls, and a session is closed when its loop shuts down its
async generators (``asyncio.run()`` does) if ``close()`` was not called first. After
``os.fork()`` the child leaves the parent's sessions alone and makes its own.

A number timeout is a deadline for the whole call (every attempt, body and retry wait
included); bodies are read and inflated within ``Configuration.max_response_size`` by the
same :class:`~pieces_os_client._core.body.BoundedBody` the sync client uses.
"""

from __future__ import annotations

import asyncio
from typing import (
    Any,
    AsyncGenerator,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
)

import aiohttp
from yarl import URL

from pieces_os_client._async.calls import send
from pieces_os_client._backends.aiohttp_http import (
    PER_REQUEST_DECOMPRESS,
    client_timeout,
    failure_kind,
    read_body,
    release,
    ssl_setting,
    status,
    within_deadline,
)
from pieces_os_client._backends.tls import server_hostname
from pieces_os_client._client_base import (
    ClientBase,
    _log_answer,
    _log_failure,
    _timing,
    fork_generation,
    too_large,
)
from pieces_os_client._core.body import (
    ACCEPT_ENCODING,
    BodyTooLarge,
    UndecodableBody,
    check_limit,
)
from pieces_os_client._core.endpoint import (
    NO_OPTIONS,
    PreparedRequest,
    RequestOptions,
    interpret,
    prepare,
)
from pieces_os_client._core.failures import (
    DECODE,
    describe_failure,
)
from pieces_os_client._core.operations import Operation
from pieces_os_client._core.retry import RetryDecision, make_retry
from pieces_os_client._core.timeouts import CallLimits, make_timeout, timeout_seconds
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.configuration import Configuration

T = TypeVar("T")

__all__ = ["AsyncApiClient"]

#: Sessions a parent process opened, kept (never used, never closed) by a forked child:
#: closing them there could disturb the parent's connections.
_INHERITED: List[Any] = []

_Sessions = Dict[
    asyncio.AbstractEventLoop, Tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]
]


class AsyncApiClient(ClientBase):
    """The HTTP client every ``Async*Api`` class sends through; an async context manager.

    Takes the same :class:`~pieces_os_client.configuration.Configuration` as ``ApiClient``.
    Many calls may run at once on one client (``asyncio.gather``); at most
    ``configuration.connection_pool_maxsize`` connections are open at a time, further calls
    wait for a free one.

    Example::

        import asyncio

        from pieces_os_client import Configuration
        from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi


        async def main() -> None:
            async with AsyncApiClient(Configuration()) as api_client:
                models = await AsyncModelsApi(api_client).models_snapshot()
                print([model.name for model in models.iterable])


        asyncio.run(main())
    """

    _default: ClassVar[Optional[AsyncApiClient]] = None

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        super().__init__(configuration, header_name, header_value, cookie)
        # Checked now, as the sync client does, so a bad setting fails before any call.
        self._timeout_spec = make_timeout(self.configuration.timeout)
        self._timeout = client_timeout(self._timeout_spec)
        self._retry_policy = make_retry(self.configuration.retries)
        self._max_size = check_limit(self.configuration.max_response_size)
        self._sessions: _Sessions = {}
        self._fork_generation = fork_generation()

    # --- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self) -> AsyncApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close this event loop's connections. The client stays usable (it reconnects on
        demand), like ``ApiClient.close()``."""
        loop = asyncio.get_running_loop()
        entry = self._sessions.pop(loop, None)
        if entry is not None:
            await entry[1].aclose()  # its ``finally`` closes the session
        await self._close_orphans(loop)

    # --- the one request path every endpoint method goes through ------------------------------
    async def _invoke(
        self,
        operation: Operation[T],
        arguments: Mapping[str, Any],
        options: RequestOptions = NO_OPTIONS,
    ) -> ApiResponse[T]:
        """Call ``operation`` with ``arguments`` (its path and body parameters) and
        ``options``."""
        request = prepare(self.configuration, self.default_headers, operation, arguments, options)
        response, body = await self._send(request, preload=True)
        return interpret(
            operation.response_model,
            response.status,
            response.reason,
            response.headers,
            body,
            request,
        )

    async def _invoke_raw(
        self,
        operation: Operation[Any],
        arguments: Mapping[str, Any],
        options: RequestOptions = NO_OPTIONS,
    ) -> aiohttp.ClientResponse:
        """``operation``'s answer unread (the ``_without_preload_content`` variants)."""
        request = prepare(self.configuration, self.default_headers, operation, arguments, options)
        response, _ = await self._send(request, preload=False)
        return response

    async def _send(
        self, request: PreparedRequest, *, preload: bool
    ) -> Tuple[aiohttp.ClientResponse, bytes]:
        debug_logger = self.configuration._get_debug_logger()
        started = _timing(debug_logger)
        try:
            response, body = await self._send_with_retries(request, preload)
        except Exception as error:
            if started is not None:
                _log_failure(debug_logger, request.method, request.url, error, started)
            raise
        if started is not None:
            _log_answer(debug_logger, request.method, request.url, response.status, started)
        return response, body

    async def _send_with_retries(
        self, request: PreparedRequest, preload: bool
    ) -> Tuple[aiohttp.ClientResponse, bytes]:
        """Send, retrying by the rules of :class:`~pieces_os_client.rest.RetryPolicy`."""
        method, url = request.method, request.url
        session = await self._session()
        spec = self._timeout_spec if request.timeout is None else make_timeout(request.timeout)
        limits = CallLimits(timeout_seconds(spec), self._max_size)
        timeout = self._timeout if request.timeout is None else client_timeout(spec)
        options = self._request_options()
        headers = request.headers
        if preload and PER_REQUEST_DECOMPRESS:
            options["auto_decompress"] = False
            if not any(name.lower() == "accept-encoding" for name in headers):
                headers = {**headers, "Accept-Encoding": ACCEPT_ENCODING}
        decision = RetryDecision(self._retry_policy, method, url, limits)

        async def attempt(target: str) -> Tuple[aiohttp.ClientResponse, bytes]:
            bound = timeout if limits.deadline is None else within_deadline(spec, limits)
            read = limits if preload else None
            return await self._attempt(session, target, request, headers, bound, options, read)

        def sort(error: BaseException, url: str) -> Optional[Tuple[str, str]]:
            if isinstance(error, BodyTooLarge):
                raise too_large(error, method, url) from None
            if isinstance(error, UndecodableBody):
                raise describe_failure(DECODE, method, url, error) from error
            if isinstance(error, (aiohttp.ClientError, asyncio.TimeoutError)):
                return failure_kind(error), ""
            return None

        answer: Tuple[aiohttp.ClientResponse, bytes] = await send(
            self.configuration, decision, url, attempt, release, sort, status
        )
        return answer

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        url: str,
        request: PreparedRequest,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        options: Dict[str, Any],
        limits: Optional[CallLimits],
    ) -> Tuple[aiohttp.ClientResponse, bytes]:
        """One attempt; its body read too, within ``limits``, when the call preloads."""
        response: Optional[aiohttp.ClientResponse] = None
        try:
            response = await session.request(
                request.method,
                # encoded=True: send the path exactly as prepare() encoded it ("%2E%2E"...).
                URL(url, encoded=True),
                headers=headers,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
                **options,
            )
            body = b"" if limits is None else await read_body(response, limits)
        except BodyTooLarge as error:
            assert response is not None
            error.status, error.reason, error.headers = (
                response.status,
                response.reason,
                response.headers,
            )
            response.close()
            raise
        except BaseException:
            # Failed or cancelled mid-call: free the connection so the session stays usable.
            if response is not None:
                response.close()
            raise
        return response, body

    # --- sessions, one per event loop ---------------------------------------------------------
    async def _session(self) -> aiohttp.ClientSession:
        if self._fork_generation != fork_generation():
            # A forked child: the parent's sessions (and their sockets) stay the parent's.
            _INHERITED.extend(self._sessions.values())
            self._sessions = {}
            self._fork_generation = fork_generation()
        loop = asyncio.get_running_loop()
        entry = self._sessions.get(loop)
        if entry is not None and not entry[0].closed:
            return entry[0]
        session = self._new_session()
        keeper = _keep_until_shutdown(self._sessions, loop, session, self._fork_generation)
        # Registered before the first await, so concurrent first calls share this session.
        self._sessions[loop] = (session, keeper)
        # Runs to its ``yield`` at once; the loop now knows it and closes it at shutdown.
        await keeper.asend(None)
        await self._close_orphans(loop)
        return session

    async def _close_orphans(self, current: asyncio.AbstractEventLoop) -> None:
        # Sessions of loops closed without shutting down their async generators.
        for loop in [other for other in self._sessions if other is not current]:
            if loop.is_closed():
                session, _ = self._sessions.pop(loop)
                await session.close()  # with its loop closed, this only marks it closed

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.configuration.connection_pool_maxsize, ssl=ssl_setting(self.configuration)
        )
        # No cookie jar: like the sync client, nothing is remembered between calls.
        session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=self._timeout
        )
        if hasattr(session, "_retry_connection"):
            # aiohttp would resend a dropped GET once on its own; Configuration.retries decides.
            session._retry_connection = False
        return session

    def _request_options(self) -> Dict[str, Any]:
        config = self.configuration
        options: Dict[str, Any] = {}
        if config.proxy:
            options["proxy"] = config.proxy
            if config.proxy_headers:
                options["proxy_headers"] = config.proxy_headers
        name = server_hostname(config)
        if name:
            options["server_hostname"] = name
        return options


async def _keep_until_shutdown(
    sessions: _Sessions,
    loop: asyncio.AbstractEventLoop,
    session: aiohttp.ClientSession,
    generation: int,
) -> AsyncGenerator[None, None]:
    """Suspended for the session's life; closing it (``close()``, or the loop's
    ``shutdown_asyncgens()`` at the end of ``asyncio.run()``) closes the session, unless
    this is a forked child of the process that opened it."""
    try:
        yield
    finally:
        entry = sessions.get(loop)
        if entry is not None and entry[0] is session:
            del sessions[loop]
        if generation == fork_generation():
            await session.close()
            # Older aiohttp releases return before the sockets are closed; one more loop
            # turn lets them close, so none is left for the garbage collector to warn about.
            await asyncio.sleep(0)
