"""Logging set-up with a filter that keeps the bot token out of every log line."""

from __future__ import annotations

import logging
import re

# aiogram puts the token into request URLs: https://api.telegram.org/bot<token>/method
_TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
REDACTED = "bot<redacted>"


class RedactTokenFilter(logging.Filter):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self._token = token or None

    def redact(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "<redacted>")
        return _TOKEN_IN_URL.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed logging call must not raise into the code that logs
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure(level: str = "INFO", token: str | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Two lines for every run of every job (the reminder sweep runs every few seconds) would
    # bury everything else; a job that fails is still logged as an error.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
