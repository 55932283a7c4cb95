"""aiogram routers, one per feature. Thin: parse input, call a service, render."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    access,
    analyses,
    appeals,
    calibration,
    case_ack,
    case_actions,
    case_new,
    cases_list,
    common,
    digest,
    export,
    fallback,
    imports,
    links,
    meetings,
    my,
    person_picker,
    queue,
    requests,
    results,
    shortcuts,
    standards,
    start,
)


def get_routers() -> list[Router]:
    """The routers in the order they must see updates (dialog escapes first, fallbacks last)."""
    return [
        common.router,
        start.router,
        access.router,
        standards.router,
        links.router,
        cases_list.router,
        case_new.router,
        person_picker.router,
        case_actions.router,
        case_ack.router,
        requests.router,
        my.router,
        queue.router,
        appeals.router,
        analyses.router,
        calibration.router,
        imports.router,
        digest.router,
        meetings.router,
        results.router,
        export.router,
        shortcuts.router,
        fallback.router,
    ]
