"""Fault injection: the next N matching calls fail at the transport or HTTP level."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FAULT_KINDS = ("5xx", "500", "502", "429", "drop", "stall")
SEND_EDIT_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendaudio",
        "sendvoice",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
    }
)

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class FaultRule:
    kind: str
    remaining: int
    methods: frozenset[str]
    retry_after: int = 1


class FaultInjector:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(
        self, kind: str, count: int, methods: Iterable[str] | None, retry_after: int
    ) -> FaultRule:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if isinstance(methods, str):
            methods = [methods]
        names = frozenset(m.lower() for m in methods) if methods else SEND_EDIT_METHODS
        rule = FaultRule(kind, count, names, max(1, int(retry_after)))
        self.rules.append(rule)
        return rule

    def take(self, method: str) -> FaultRule | None:
        """The rule that hits this call (its counter is consumed), or None."""
        name = method.lower()
        for rule in self.rules:
            if rule.remaining > 0 and name in rule.methods:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()

    @property
    def pending(self) -> int:
        return sum(rule.remaining for rule in self.rules)
