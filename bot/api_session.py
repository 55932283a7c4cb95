"""The Bot API session: aiogram's aiohttp session, with the body of a request that carries no
file sent as JSON.

aiogram sends every request as a form, whose encoding (aiohttp and urllib's `quote_plus`)
percent-escapes a text byte by byte in Python: for a Russian text with its keyboard, about
a millisecond of an update's few (bench.pipeline's profile). The Bot API takes the same
parameters as a JSON object (https://core.telegram.org/bots/api#making-requests), which
the json module writes in C. A request with a file is still a multipart form.
"""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiohttp import FormData, JsonPayload

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod
    from aiogram.methods.base import TelegramType

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


class ApiSession(AiohttpSession):
    def build_form_data(  # type: ignore[override]
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> FormData | JsonPayload:
        """The request's body: JSON, or the multipart form of aiogram when a file goes with it.
        (`make_request` hands it to aiohttp's `post(data=…)`, which takes either.)"""
        files: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            # As aiogram's form: defaults resolved, objects as their fields, times as Unix
            # times, files put aside; nested values left as they are for the one dump.
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                fields[key] = prepared
        if files:
            return super().build_form_data(bot=bot, method=method)
        return JsonPayload(fields, dumps=_dumps)
