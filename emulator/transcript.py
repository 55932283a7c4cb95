"""Human-readable transcript of everything that happened in the emulated chats."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.state import EmulatorState, Event

INDENT = "  "


def _indent_rest(text: str) -> str:
    """Continuation lines of a multi-line text are indented under the first one."""
    lines = text.splitlines() or [""]
    return "\n".join([lines[0], *(INDENT + line for line in lines[1:])])


def _chat_label(state: EmulatorState, event: Event) -> str:
    chat = state.chats.get(event.chat_id)
    label = chat.label(state.users) if chat else str(event.chat_id)
    if event.thread_id is not None and chat is not None and chat.type != "private":
        label += f" / тема {event.thread_id}"
    return label


def _user_name(state: EmulatorState, user_id: int | None, full: bool = True) -> str:
    user = state.users.get(user_id or 0)
    if user is None:
        return str(user_id)
    return user.full_name if full else user.first_name


def _buttons(rows: list[list[str]]) -> str:
    return f"{INDENT}[кнопки: " + " ‖ ".join(" | ".join(row) for row in rows) + "]"


def _message_line(state: EmulatorState, event: Event, show_ids: bool) -> str:
    chat = state.chats.get(event.chat_id)
    private = chat is not None and chat.type == "private"
    number = f" #{event.message_id}" if show_ids else ""
    if event.from_bot:
        who = f"Bot{number}: "
    elif private:
        who = f"#{event.message_id} " if show_ids else ""
    else:
        who = f"{_user_name(state, event.sender_id)}{number}: "
    body = event.text
    if event.attachment:
        body = f"{event.attachment}: {body}" if body else event.attachment
    line = f"[{_chat_label(state, event)}] {who}{_indent_rest(body)}"
    if event.buttons:
        line += "\n" + _buttons(event.buttons)
    return line


def _event_line(state: EmulatorState, event: Event, show_ids: bool) -> str | None:
    if event.kind == "message":
        return _message_line(state, event, show_ids)
    if event.kind == "edit":
        if event.text_changed:
            line = f"✎ edited #{event.message_id}: {_indent_rest(event.text)}"
        else:
            what = "новые кнопки" if event.buttons else "кнопки убраны"
            line = f"✎ edited #{event.message_id}: {what}"
        if event.buttons:
            line += "\n" + _buttons(event.buttons)
        return line
    if event.kind == "delete":
        return f"✗ deleted #{event.message_id}"
    if event.kind == "press":
        name = _user_name(state, event.sender_id, full=False)
        if event.attachment == "data":
            return f"☞ {name} отправил callback «{event.text}» (#{event.message_id})"
        return f"☞ {name} нажал «{event.text}»"
    if event.kind == "answer":
        if not event.text:
            return None
        alert = " (alert)" if event.show_alert else ""
        return f"↳ ответ на кнопку{alert}: {_indent_rest(event.text)}"
    return None


def render_transcript(
    state: EmulatorState, chat_id: int | None = None, show_ids: bool = False
) -> str:
    """One event per line, in the order they happened; ``chat_id`` limits it to one chat."""
    lines = []
    for event in state.events:
        if chat_id is not None and event.chat_id != chat_id:
            continue
        line = _event_line(state, event, show_ids)
        if line is not None:
            lines.append(line)
    return "\n".join(lines)
