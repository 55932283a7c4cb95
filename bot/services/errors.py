"""Errors a service raises when a rule says no. Each carries the catalogue key of its text."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the user should read: `key` names the text, `args` fill it."""

    def __init__(self, key: str, **args: object) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


class Forbidden(ServiceError):
    def __init__(self, key: str = "error-forbidden", **args: object) -> None:
        super().__init__(key, **args)


class AlreadyDone(ServiceError):
    def __init__(self, key: str = "error-already-done", **args: object) -> None:
        super().__init__(key, **args)


class NotFound(ServiceError):
    def __init__(self, key: str = "error-not-found", **args: object) -> None:
        super().__init__(key, **args)


class Invalid(ServiceError):
    pass
