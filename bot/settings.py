"""Configuration from the environment or `.env` (DESIGN §11).

Durations are `timedelta` fields: they accept a number of seconds (`ACK_SLA=86400`) or an
ISO 8601 duration (`RECHECK_AFTER=P30D`), so tests can run a whole lifecycle in seconds.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_BASE = "https://api.telegram.org"
_SECONDS = re.compile(r"\d+(\.\d+)?")


def _seconds(value: object) -> object:
    # pydantic reads "86400" as a malformed ISO duration; the documented form is seconds.
    if isinstance(value, str) and _SECONDS.fullmatch(value.strip()):
        return float(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds)]
# DIGEST_CRON=off: no scheduled digest (CS posts it with /digest).
DIGEST_OFF = "off"
# DIGEST_CRON=first-working-day HH:MM: at that time on the first working day of the month
# by Russia's production calendar (12.01.2026 for January 2026), which no crontab line says.
FIRST_WORKING_DAY = "first-working-day"
_SLOT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# What Telegram takes as a webhook's secret token (checked when the webhook starts: a
# validator here would print the value in its error).
WEBHOOK_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")


# Crontab numbers weekdays from Sunday (0 and 7); APScheduler from Monday (0). Numbers are
# turned into names, which both read the same.
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_NUMBERS = re.compile(r"^(\*|\d+)(?:-(\d+))?(?:/(\d+))?$")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field with its numbers as names: "1-5" -> "mon,tue,wed,thu,fri",
    "0" or "7" -> "sun"; names and "*" are kept."""
    names: list[str] = []
    for token in field.split(","):
        match = _WEEKDAY_NUMBERS.fullmatch(token.strip())
        if match is None:  # names ("mon-fri"), left to APScheduler
            names.append(token.strip())
            continue
        first, last, step = match.groups()
        if first == "*":
            if step is None:
                return field
            start, end = 0, 6
        else:
            start = int(first)
            end = int(last) if last is not None else start
            if step is not None and last is None:
                end = 7
        if not 0 <= start <= end <= 7:
            raise ValueError(f"a weekday is 0–7 (0 and 7 are Sunday): {token!r}")
        names.extend(_WEEKDAYS[day % 7] for day in range(start, end + 1, int(step or 1)))
    return ",".join(dict.fromkeys(names))


def cron_trigger(line: str, timezone: object) -> CronTrigger:
    """A crontab line (5 fields, or 6 with leading seconds) as an APScheduler trigger, with
    crontab's meaning of weekday numbers (0 and 7 are Sunday)."""
    fields = line.split()
    if len(fields) == 5:
        minute, hour, day, month, day_of_week = fields
        second = "0"
    elif len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
    else:
        raise ValueError(f"a cron line has 5 or 6 fields, not {len(fields)}: {line!r}")
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(day_of_week),
        timezone=timezone,
    )


def _slot(text: str) -> time:
    match = _SLOT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a time HH:MM: {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def listen_address(value: str) -> tuple[str, int]:
    """`host:port` (`[::1]:8080` for IPv6) as the pair to bind."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not host:port: {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - an empty host: every address


def parse_slots(value: str) -> list[time]:
    """Meeting start times: "10:00-18:00" (hourly, the end excluded) or "10:00,11:30"."""
    text = value.replace("–", "-").strip()
    if "-" in text and "," not in text:
        start_text, end_text = text.split("-", 1)
        start, end = _slot(start_text), _slot(end_text)
        if end <= start:
            raise ValueError(f"the slots end before they start: {value!r}")
        slots = [time(hour, start.minute) for hour in range(start.hour, 24)]
        slots = [slot for slot in slots if slot < end]
    else:
        slots = sorted({_slot(part) for part in text.split(",") if part.strip()})
    if not slots:
        raise ValueError(f"no meeting slots in {value!r}")
    return slots


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # `BOT_TOKEN=` / `CS_CHAT_ID=` as copied from .env.example mean "not set", not "".
        env_ignore_empty=True,
    )

    bot_token: SecretStr | None = None
    telegram_api_base: str = TELEGRAM_API_BASE
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    cs_chat_id: int | None = None
    cs_team_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Europe/Moscow"
    log_level: str = "INFO"

    # Forum topics of the CS group (0 = post to the group itself).
    cs_cases_thread_id: int = 0
    cs_appeals_thread_id: int = 0
    cs_requests_thread_id: int = 0
    cs_access_thread_id: int = 0

    # Case track (DESIGN §2, §3).
    ack_sla: Duration = timedelta(hours=24)
    # Working days the manager has for «Ознакомлен»: then he is nudged once, and a working day
    # later his lead is told.
    acknowledge_within: int = Field(default=2, ge=1, le=30)
    recheck_after: Duration = timedelta(days=30)
    recheck_notice: Duration = timedelta(days=3)
    repeat_window: Duration = timedelta(days=60)
    appeal_window: Duration = timedelta(days=5)
    # The appeal clock: CS decides within this many working days of the filing (the
    # production calendar, the same local time); reminded the working day before, the
    # overdue appeal escalated in the group mentioning CS_HEAD_IDS (all CS if empty).
    # It replaces APPEAL_SLA, which is no longer read.
    appeal_decide_within: int = Field(default=3, ge=1, le=30)
    cs_head_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    request_sla: Duration = timedelta(days=1)

    # Monthly results and the digest (DESIGN §6). DIGEST_CRON, in TIMEZONE: by default
    # "first-working-day 10:00" (the production calendar's first working day of the month),
    # or a crontab line (minute hour day month weekday; a sixth, leading field of seconds is
    # allowed; a month's digest is posted once, so later runs stay silent), or "off": no
    # schedule, CS posts with /digest.
    digest_cron: str = f"{FIRST_WORKING_DAY} 10:00"
    digest_lowest: int = Field(default=3, ge=1, le=50)
    cs_digest_thread_id: int = 0
    # Meeting slots on working days: "10:00-18:00" (hourly starts, the end excluded) or a
    # list "10:00,11:30,15:00".
    meeting_slots: str = "10:00-18:00"
    meeting_book_within: Duration = timedelta(days=3)
    meeting_remind_every: Duration = timedelta(days=1)
    meeting_reminders: int = Field(default=3, ge=0, le=10)
    # Blind calibration: the result is flagged «⚠️ Расхождение» when the scores spread more
    # than this many points (max − min), or the verdicts differ.
    calibration_spread: int = Field(default=20, ge=0, le=100)

    # Machinery.
    reminder_sweep_interval: Duration = timedelta(seconds=30)
    outbox_poll_interval: Duration = timedelta(seconds=1)
    outbox_global_per_second: int = 30
    outbox_group_per_minute: int = 20
    # The window of the group limit (a minute on Telegram; shorter only in tests).
    outbox_group_window: Duration = timedelta(minutes=1)
    outbox_chat_per_second: int = 1
    outbox_max_backoff: Duration = timedelta(minutes=5)
    # How long a sender's claim of a row holds (bot/outbox.py): a text's call is cut off at
    # two thirds of it; after a crash a row in flight is sent again once it has run out.
    outbox_lease: Duration = timedelta(seconds=15)
    redis_url: str | None = None

    # How updates arrive: `polling` (getUpdates) or `webhook` (Telegram POSTs them to
    # WEBHOOK_URL; the server binds WEBHOOK_LISTEN and serves the path of WEBHOOK_URL and
    # GET /healthz). WEBHOOK_SECRET is required in webhook mode.
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"

    # E-mail copies of new requests and appeals to the CS mailbox (off while SMTP_HOST is empty).
    cs_email: str = "client_service@example.com"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_sender: str = "cs-bot@example.com"
    mail_retry_interval: Duration = timedelta(seconds=60)

    @field_validator("cs_team_ids", "cs_head_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # ZoneInfoNotFoundError is a KeyError, which pydantic would let escape as a traceback
        # instead of a validation error naming the field.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("digest_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if value.strip().lower() == DIGEST_OFF:
            return DIGEST_OFF
        if value.strip().lower().startswith(FIRST_WORKING_DAY):
            at = value.strip()[len(FIRST_WORKING_DAY) :].strip() or "10:00"
            return f"{FIRST_WORKING_DAY} {_slot(at):%H:%M}"  # _slot names what is wrong
        cron_trigger(value, "UTC")  # raises ValueError naming what is wrong
        return value

    @field_validator("meeting_slots")
    @classmethod
    def _valid_slots(cls, value: str) -> str:
        parse_slots(value)
        return value

    @field_validator("bot_mode", mode="before")
    @classmethod
    def _mode_lowercase(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("webhook_url")
    @classmethod
    def _valid_webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.strip()

    @field_validator("webhook_listen")
    @classmethod
    def _valid_listen(cls, value: str) -> str:
        listen_address(value)
        return value

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to: that of WEBHOOK_URL ("/" if it has none)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def webhook_bind(self) -> tuple[str, int]:
        return listen_address(self.webhook_listen)

    @property
    def digest_first_working_day_at(self) -> time | None:
        """The time of DIGEST_CRON=first-working-day HH:MM; None for a crontab line or off."""
        if not self.digest_cron.startswith(FIRST_WORKING_DAY):
            return None
        return _slot(self.digest_cron[len(FIRST_WORKING_DAY) :])

    @property
    def slots(self) -> list[time]:
        return parse_slots(self.meeting_slots)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def missing_for_run(self) -> list[str]:
        """Names of the settings the bot cannot run without."""
        missing = []
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            missing.append("BOT_TOKEN")
        if self.cs_chat_id is None:
            missing.append("CS_CHAT_ID")
        if self.bot_mode == "webhook":
            if self.webhook_url is None:
                missing.append("WEBHOOK_URL")
            if self.webhook_secret is None:
                missing.append("WEBHOOK_SECRET")
        return missing
