"""The deployment files under deploy/ stay true to the code: the systemd unit starts the bot
as `make run` does and sets only settings the bot has; nginx sends updates to every replica
the unit's example starts."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def unit_lines() -> list[str]:
    return (DEPLOY / "cs-bot@.service").read_text(encoding="utf-8").splitlines()


def test_the_unit_runs_the_bot_and_sets_only_known_settings() -> None:
    lines = unit_lines()
    (start,) = [line for line in lines if line.startswith("ExecStart=")]
    assert start.endswith("/.venv/bin/python -m bot run")
    names = [
        line.removeprefix("Environment=").split("=", 1)[0]
        for line in lines
        if line.startswith("Environment=")
    ]
    known = {name.upper() for name in Settings.model_fields}
    assert "WEBHOOK_LISTEN" in names
    others = {"PYTHONUNBUFFERED", "MPLCONFIGDIR"}
    assert [name for name in names if name not in known and name not in others] == []
    # matplotlib's folder is one systemd lets the service write (its CacheDirectory).
    (cache,) = [line.removeprefix("CacheDirectory=") for line in lines if "CacheDirectory" in line]
    (mpl,) = [line for line in lines if line.startswith("Environment=MPLCONFIGDIR=")]
    assert mpl.removeprefix("Environment=MPLCONFIGDIR=").startswith(f"/var/cache/{cache}/")
    # The replica's port is the instance name, on the loopback behind the proxy.
    assert "Environment=WEBHOOK_LISTEN=127.0.0.1:%i" in lines
    # A stop lets the updates in hand finish (the webhook's 15 s) before systemd kills.
    (timeout,) = [line for line in lines if line.startswith("TimeoutStopSec=")]
    assert int(timeout.split("=")[1]) > 15


def test_the_proxy_reaches_every_replica_the_unit_starts() -> None:
    example = next(line for line in unit_lines() if "systemctl enable" in line)
    ports = set(re.findall(r"cs-bot@(\d+)", example))
    proxy = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    upstream = set(re.findall(r"server 127\.0\.0\.1:(\d+)", proxy))
    assert len(ports) == 3
    assert upstream == ports
    assert "location = /telegram/updates" in proxy
    assert "location = /healthz" in proxy
