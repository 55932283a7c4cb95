"""The HTTP side: an aiohttp server on loopback that answers like api.telegram.org."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulator.control import EmulatorControl
from emulator.errors import ApiError, not_found, unauthorized
from emulator.faults import BAD_GATEWAY_HTML, FaultInjector, FaultRule
from emulator.methods import Handler
from emulator.models import CallRecord, EmulatorLimits
from emulator.params import Params, read_params

_API_PATH = re.compile(r"/bot([^/]*)/([^/]*)")
_FILE_PATH = re.compile(r"/file/bot([^/]*)/(.+)")
_TOKEN_FORMAT = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,100}")
MAX_REQUEST = 60 * 1024 * 1024


@dataclass
class _Stall:
    method: str
    released: asyncio.Event = field(default_factory=asyncio.Event)
    process: bool = False


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


class BotAPIEmulator(EmulatorControl):
    """A Telegram Bot API server on loopback, plus the test-side control API.

    >>> emu = BotAPIEmulator(token="123456:TEST-token")
    >>> await emu.start()   # emu.base_url → "http://127.0.0.1:PORT"
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",  # noqa: S107 - a fake token for tests
        limits: EmulatorLimits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_name: str = "Клиентский сервис",
        bot_username: str = "cs_test_bot",
        strict_html_entities: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            token,
            limits=limits,
            bot_name=bot_name,
            bot_username=bot_username,
            strict_html_entities=strict_html_entities,
            clock=clock,
        )
        self.host = host
        self.port = port
        self.faults = FaultInjector()
        self._stalled: list[_Stall] = []
        self._runner: web.AppRunner | None = None

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=MAX_REQUEST)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self.api.closing = False
        await self.webhook.start()

    async def stop(self) -> None:
        """Stop serving: long polls return at once, stalled requests are dropped."""
        runner, self._runner = self._runner, None
        self.api.closing = True
        await self.webhook.stop()
        self.release_stalled()
        self.state.notifier.notify()
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- fault injection -----------------------------------------------------------------

    def inject_faults(
        self,
        kind: str,
        count: int = 1,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
    ) -> None:
        """The next ``count`` calls of ``methods`` (default: any send/edit method) fail.

        kind: "5xx"/"500" (500 JSON error), "502" (502 Bad Gateway HTML page), "429"
        (Too Many Requests with ``retry_after``), "drop" (connection closed, no response),
        "stall" (held open, never processed, until ``release_stalled()`` or ``stop()``).
        """
        self.faults.add(kind, count, methods, retry_after)

    def clear_faults(self) -> None:
        self.faults.clear()

    def release_stalled(self, process: bool = False) -> int:
        """Let stalled requests go: dropped without a response, or processed if ``process``."""
        stalled, self._stalled = self._stalled, []
        for stall in stalled:
            stall.process = process
            stall.released.set()
        return len(stalled)

    def stalled_count(self) -> int:
        """How many requests a "stall" fault is holding right now."""
        return len(self._stalled)

    async def wait_stalled(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` requests are being held by a "stall" fault."""
        await self.state.notifier.wait_until(
            lambda: True if len(self._stalled) >= count else None, timeout
        )

    # --- HTTP ----------------------------------------------------------------------------

    def _begin(self, method: str, params: Params | None) -> CallRecord:
        """Log a call as it arrives (``done=False``), so long polls are visible at once."""
        record = CallRecord(
            method=method,
            params=params.log_view() if params is not None else {},
            at=time.time(),
            ok=False,
            done=False,
        )
        self.state.calls.append(record)
        self.state.stats.calls += 1
        self.state.stats.by_method[method] += 1
        self.state.bump()
        return record

    def _finish(self, record: CallRecord, error: ApiError | None) -> None:
        record.ok = error is None
        record.done = True
        self.state.bump()
        if error is None:
            return
        record.error_code = error.code or None
        record.description = error.description
        self.state.stats.errors += 1
        if error.code == 429:
            self.state.stats.rate_limited += 1

    def _error(self, record: CallRecord, error: ApiError) -> web.Response:
        self._finish(record, error)
        return web.json_response(error.payload(), status=error.code, dumps=_dumps)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        file_match = _FILE_PATH.fullmatch(path)
        if file_match is not None:
            return self._download(file_match.group(1), file_match.group(2))
        match = _API_PATH.fullmatch(path)
        if match is None:
            return self._error(self._begin(path, None), not_found())
        token, method = match.groups()
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._error(self._begin(method, None), error)
        record = self._begin(method, params)
        try:
            return await self._serve(request, token, method, params, record)
        finally:
            if not record.done:  # cancelled: the client went away before the answer
                record.done = True
                record.description = "cancelled: the client closed the connection"

    async def _serve(
        self, request: web.Request, token: str, method: str, params: Params, record: CallRecord
    ) -> web.StreamResponse:
        if not _TOKEN_FORMAT.fullmatch(token):
            return self._error(record, not_found())
        if token != self.token:
            return self._error(record, unauthorized())
        handler = self.api.handlers.get(method.lower())
        if handler is None:
            return self._error(record, not_found())
        fault = self.faults.take(method)
        if fault is not None:
            return await self._fault(request, params, record, fault, handler)
        return await self._run(params, record, handler)

    async def _run(self, params: Params, record: CallRecord, handler: Handler) -> web.Response:
        try:
            result = await handler(params)
        except ApiError as error:
            return self._error(record, error)
        self._finish(record, None)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _fault(
        self,
        request: web.Request,
        params: Params,
        record: CallRecord,
        rule: FaultRule,
        handler: Handler,
    ) -> web.StreamResponse:
        self.state.stats.faults += 1
        self.state.stats.faults_by_kind[rule.kind] += 1
        if rule.kind in ("5xx", "500"):
            return self._error(record, ApiError(500, "Internal Server Error"))
        if rule.kind == "429":
            error = ApiError(
                429, f"Too Many Requests: retry after {rule.retry_after}", rule.retry_after
            )
            return self._error(record, error)
        if rule.kind == "502":
            self._finish(record, ApiError(502, "Bad Gateway"))
            return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
        if rule.kind == "stall":
            stall = _Stall(record.method)
            self._stalled.append(stall)
            self.state.bump()
            try:
                await stall.released.wait()
            finally:
                if stall in self._stalled:
                    self._stalled.remove(stall)
            if stall.process and not self.api.closing:
                return await self._run(params, record, handler)
        self._finish(record, ApiError(0, f"fault: connection dropped ({rule.kind})"))
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)

    def _download(self, token: str, file_path: str) -> web.StreamResponse:
        record = self._begin("file", Params({"file_path": file_path}))
        if token != self.token:
            return self._error(record, unauthorized())
        stored = self.state.files_by_path.get(file_path)
        if stored is None:
            return self._error(record, not_found())
        self._finish(record, None)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )
