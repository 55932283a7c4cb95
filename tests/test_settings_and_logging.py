"""Settings from the environment, the CLI's first impression, and the token kept out of logs."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot import logsetup
from bot.logsetup import RedactTokenFilter
from bot.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TG_TOKEN = "123456:SECRET"
TG_URL = f"https://api.telegram.org/bot{TG_TOKEN}/sendMessage"


def _settings(database_url: str, **overrides: Any) -> Settings:
    """Settings from the given values only (no .env, the environment cannot add required ones)."""
    values: dict[str, Any] = {
        "bot_token": "123456:TEST-token",
        "cs_chat_id": -1001000000001,
        "database_url": database_url,
    }
    return Settings(_env_file=None, **{**values, **overrides})


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """The parent's environment without any bot setting, and a database inside tmp_path."""
    setting_names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in setting_names}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    # Run this checkout's code whatever the working directory and however it is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("90", timedelta(seconds=90)),
        ("86400", timedelta(days=1)),
        ("P30D", timedelta(days=30)),
        ("PT24H", timedelta(hours=24)),
        (90, timedelta(seconds=90)),
    ],
)
def test_durations_accept_seconds_and_iso_8601(
    database_url: str, raw: object, expected: timedelta
) -> None:
    settings = _settings(database_url, ack_sla=raw, recheck_after=raw)
    assert settings.ack_sla == expected
    assert settings.recheck_after == expected


def test_durations_from_the_environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("ACK_SLA", "86400")
    monkeypatch.setenv("RECHECK_AFTER", "P30D")
    monkeypatch.setenv("OUTBOX_POLL_INTERVAL", "0.5")
    settings = Settings(_env_file=None)
    assert settings.ack_sla == timedelta(days=1)
    assert settings.recheck_after == timedelta(days=30)
    assert settings.outbox_poll_interval == timedelta(milliseconds=500)


def test_a_malformed_duration_is_rejected(database_url: str) -> None:
    with pytest.raises(ValidationError, match="ack_sla"):
        _settings(database_url, ack_sla="a day")


def test_cs_team_ids_accept_commas_semicolons_and_spaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CS_TEAM_IDS", "1, 2;3")
    settings = Settings(_env_file=None)
    assert settings.cs_team_ids == [1, 2, 3]


def test_cs_team_ids_reject_a_non_number(database_url: str) -> None:
    with pytest.raises(ValidationError, match="cs_team_ids"):
        _settings(database_url, cs_team_ids="1, two")


def test_empty_values_as_in_env_example_mean_not_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BOT_TOKEN", "CS_CHAT_ID", "CS_TEAM_IDS", "REDIS_URL"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)
    assert settings.cs_team_ids == []
    assert settings.redis_url is None
    assert settings.missing_for_run() == ["BOT_TOKEN", "CS_CHAT_ID"]


def test_settings_of_the_fixture_are_complete(settings: Settings) -> None:
    assert settings.missing_for_run() == []
    assert settings.tz.key == "Europe/Moscow"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/Atlantis", ""])
def test_an_unknown_timezone_is_rejected(database_url: str, zone: str) -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _settings(database_url, timezone=zone)


def test_env_example_is_accepted_as_a_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's first step is `cp .env.example .env`: that file must parse."""
    example = PROJECT_ROOT / ".env.example"
    if not example.is_file():
        pytest.skip("no .env.example in this checkout")
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = Settings(_env_file=example)
    assert settings.missing_for_run() == ["BOT_TOKEN", "CS_CHAT_ID"]


# --- the command line -----------------------------------------------------------------------


def test_run_without_token_and_chat_says_what_to_do(tmp_path: Path) -> None:
    workdir = tmp_path / "empty"
    workdir.mkdir()
    result = _run_cli("run", cwd=workdir, env=_clean_env(tmp_path))

    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert "Traceback" not in output
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert "BOT_TOKEN" in lines[0]
    assert "CS_CHAT_ID" in lines[0]
    assert ".env.example" in lines[0]
    assert "make demo" in lines[0]


def test_run_with_an_unknown_timezone_exits_without_traceback(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    env["TIMEZONE"] = "Mars/Olympus"
    result = _run_cli("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "timezone" in result.stderr


def test_help_lists_the_commands_from_any_directory(tmp_path: Path) -> None:
    result = _run_cli("--help", cwd=tmp_path, env=_clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    for command in ("run", "migrate", "roster", "demo"):
        assert command in result.stdout
    assert "Traceback" not in result.stderr


# --- the token is never logged --------------------------------------------------------------


@pytest.fixture
def restore_root_logger() -> Iterator[logging.Logger]:
    """`configure` rewires the root logger and sets levels: put everything back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))


def _log_failure(logger: logging.Logger) -> None:
    try:
        raise ConnectionError(f"cannot reach {TG_URL} (token {TG_TOKEN})")
    except ConnectionError:
        logger.exception("request %s failed for token %s", TG_URL, TG_TOKEN)


def test_configure_redacts_the_token_in_message_and_traceback(
    restore_root_logger: logging.Logger,
) -> None:
    logsetup.configure("INFO", TG_TOKEN)
    (handler,) = restore_root_logger.handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)

    _log_failure(logging.getLogger("aiogram.client"))

    output = stream.getvalue()
    assert "request" in output
    assert "ConnectionError" in output  # the traceback is kept, only the token goes
    assert "SECRET" not in output
    assert TG_TOKEN not in output
    assert "<redacted>" in output


def test_filter_redacts_a_url_token_even_without_knowing_it() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokenFilter(None))
    logger = logging.getLogger("test.redact.unknown")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("GET %s", TG_URL)
        try:
            raise RuntimeError(TG_URL)
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    output = stream.getvalue()
    assert "SECRET" not in output
    assert "api.telegram.org/bot<redacted>/sendMessage" in output
    assert "RuntimeError" in output


def test_filter_redacts_the_raw_token_and_stack_info() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokenFilter(TG_TOKEN))
    logger = logging.getLogger("test.redact.raw")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.error("token is %s", TG_TOKEN, stack_info=True)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    output = stream.getvalue()
    assert "token is <redacted>" in output
    assert "SECRET" not in output


def test_a_malformed_logging_call_does_not_raise_into_the_caller() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokenFilter(TG_TOKEN))
    logger = logging.getLogger("test.redact.malformed")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("two values %s %s for %s", "only one", TG_URL)  # one argument short
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    output = stream.getvalue()
    assert "two values" in output
    assert "only one" in output
    assert "SECRET" not in output


@pytest.mark.parametrize(
    ("weekdays", "fires_on"),
    [
        ("1", {0}),  # crontab: 1 is Monday (APScheduler alone would read Tuesday)
        ("0", {6}),
        ("7", {6}),
        ("1-5", {0, 1, 2, 3, 4}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("5-7", {4, 5, 6}),
        ("0,6", {5, 6}),
        ("*/2", {6, 1, 3, 5}),  # crontab: Sun, Tue, Thu, Sat
        ("*", {0, 1, 2, 3, 4, 5, 6}),
    ],
)
def test_digest_cron_weekdays_mean_what_crontab_means(weekdays: str, fires_on: set[int]) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.settings import cron_trigger

    moscow = ZoneInfo("Europe/Moscow")
    trigger = cron_trigger(f"0 10 * * {weekdays}", moscow)
    moment = datetime(2026, 11, 30, tzinfo=moscow)  # a Monday
    seen = set()
    for _ in range(14):
        fire = trigger.get_next_fire_time(None, moment)
        assert fire is not None
        assert (fire.hour, fire.minute) == (10, 0)
        seen.add(fire.weekday())
        moment = fire + timedelta(minutes=1)
    assert seen == fires_on


def test_a_weekday_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="weekday"):
        Settings(_env_file=None, digest_cron="0 10 * * 8")  # type: ignore[call-arg]
