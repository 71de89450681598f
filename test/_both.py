"""``Runtime``: the sync ``ApiClient`` or the async ``AsyncApiClient`` behind one synchronous
face, so a test of runtime behaviour (retries, timeouts, errors, streams) is written once and
run against both (the ``client`` fixture in conftest.py is parametrized over the two).

Example::

    def test_a_503_is_retried(client: Runtime, scripted_server: ScriptedServer) -> None:
        scripted_server.script(Reply(503))
        api = client.models(Configuration(host=scripted_server.url))
        api.models_snapshot()  # sync: called; async: awaited on the runtime's event loop
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, List

from pieces_os_client import ApiClient, Configuration, ModelApi, ModelsApi
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi, AsyncModelsApi

#: How long one awaited call may take before the test fails instead of hanging.
CALL_LIMIT = 60.0


class Api:
    """An API class (``ModelsApi`` or ``AsyncModelsApi`` ...) whose methods return their result:
    a coroutine is run to its end on the runtime's loop, anything else is returned as is."""

    def __init__(self, api: Any, run: Callable[[Any], Any]) -> None:
        self._api = api
        self._run = run

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._api, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: self._run(method(*args, **kwargs))


class Stream:
    """A stream, sync or async, read with ``next()`` and closed with ``close()``."""

    def __init__(self, stream: Any, run: Callable[[Any], Any]) -> None:
        self.raw = stream
        self._run = run

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> Any:
        if hasattr(self.raw, "__anext__"):
            try:
                return self._run(self.raw.__anext__())
            except StopAsyncIteration:
                raise StopIteration from None
        return next(self.raw)

    def close(self) -> None:
        self._run(self.raw.close())


class Runtime:
    """Clients of one kind (``"sync"`` or ``"async"``), all closed by :meth:`close`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.is_async = kind == "async"
        self._loop = asyncio.new_event_loop() if self.is_async else None
        self._clients: List[Any] = []

    def run(self, value: Any) -> Any:
        """The value of a call: awaited on this runtime's loop when it is awaitable."""
        if self._loop is not None and inspect.isawaitable(value):
            return self._loop.run_until_complete(asyncio.wait_for(value, CALL_LIMIT))
        return value

    def api_client(self, configuration: Configuration) -> Any:
        made = AsyncApiClient(configuration) if self.is_async else ApiClient(configuration)
        self._clients.append(made)
        return made

    def models(self, configuration: Configuration) -> Any:
        """``ModelsApi`` / ``AsyncModelsApi`` on a new client of this kind."""
        kind = AsyncModelsApi if self.is_async else ModelsApi
        return Api(kind(self.api_client(configuration)), self.run)

    def model(self, configuration: Configuration) -> Any:
        """``ModelApi`` / ``AsyncModelApi`` on a new client of this kind."""
        kind = AsyncModelApi if self.is_async else ModelApi
        return Api(kind(self.api_client(configuration)), self.run)

    def stream(self, stream: Any) -> Stream:
        """A stream a call returned (async: the awaited call), read synchronously."""
        return Stream(stream, self.run)

    def close(self) -> None:
        """Close every client; fail if the SDK left a task running on the loop."""
        for made in self._clients:
            self.run(made.close())
        if self._loop is not None:
            try:
                self._loop.run_until_complete(asyncio.sleep(0))
                left = asyncio.all_tasks(self._loop)
                assert not left, f"tasks left behind: {left}"
            finally:
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
                self._loop.close()
