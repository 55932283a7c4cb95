"""Reading Bot API request parameters: query string, form-urlencoded, multipart or JSON."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.errors import ApiError, bad_request

TRUE_WORDS = {"true", "1", "yes", "on"}
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "scope",
        "commands",
        "allowed_updates",
    }
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None = None

    def __repr__(self) -> str:
        return f"<file {self.filename!r}, {len(self.content)} bytes>"


class Params:
    """Typed access to request parameters the way the Bot API reads them."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in TRUE_WORDS

    def get_json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error or f"can't parse {name} JSON object") from None

    def get_file(self, name: str) -> Upload | str | None:
        """An uploaded file (by ``attach://`` reference or by field name) or a file_id/URL."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.get_str(name)
        if not value:
            return None
        if value.startswith("attach://"):
            upload = self.uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"there is no {name} in the request")
            return upload
        return value

    def log_view(self) -> dict[str, Any]:
        """Parameters for the call log: JSON fields decoded, uploads summarised."""
        view: dict[str, Any] = dict(self.values)
        for key in JSON_FIELDS.intersection(view):
            value = view[key]
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    view[key] = json.loads(value)
        for key, upload in self.uploads.items():
            view[key] = repr(upload)
        return view


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return Params(values)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
        if isinstance(body, dict):
            values.update(body)
        return Params(values)
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            uploads[key] = Upload(value.filename, value.file.read(), value.content_type)
        else:
            values[key] = value
    return Params(values, uploads)
