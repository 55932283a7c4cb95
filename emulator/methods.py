"""Bot API methods served by the emulator (everything after token check and fault injection)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from emulator import errors
from emulator.errors import ApiError, bad_request, forbidden
from emulator.html import ParsedText
from emulator.markup import (
    MARKUP_JSON_ERROR,
    format_text,
    inline_keyboard,
    validate_reply_markup,
)
from emulator.media import guess_mime, image_info
from emulator.models import (
    DEFAULT_MAX_CONNECTIONS,
    CallbackAnswer,
    ChatInfo,
    StoredFile,
    StoredMessage,
    WebhookConfig,
)
from emulator.params import Params, Upload
from emulator.ratelimit import RateLimiter
from emulator.state import DEFAULT_UPDATE_TYPES, EmulatorState, now

Handler = Callable[[Params], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
MAX_DOWNLOAD = 20 * 1024 * 1024


def scope_key(scope: Any) -> str:
    """Canonical JSON of a BotCommandScope (chat ids normalised to int)."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    normal: dict[str, Any] = {"type": scope["type"]}
    for key in ("chat_id", "user_id"):
        if key in scope:
            value = scope[key]
            normal[key] = int(value) if isinstance(value, int | str) and _is_int(value) else value
    return json.dumps(normal, sort_keys=True)


def _is_int(value: int | str) -> bool:
    if isinstance(value, int):
        return True
    return value.lstrip("-").isdigit()


class BotApi:
    def __init__(self, state: EmulatorState, limiter: RateLimiter, strict_entities: bool) -> None:
        self.state = state
        self.limiter = limiter
        self.strict_entities = strict_entities
        self.closing = False
        self.poll_generation = 0
        self.handlers: dict[str, Handler] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "sendmessage": self.send_message,
            "senddocument": self.send_document,
            "sendphoto": self.send_photo,
            "sendaudio": self.send_audio,
            "sendvoice": self.send_voice,
            "sendchataction": self.send_chat_action,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "getfile": self.get_file,
            "setmydescription": self.accept,
            "setmyshortdescription": self.accept,
            "setmyname": self.accept,
            "setchatmenubutton": self.accept,
        }

    # --- chats ---------------------------------------------------------------------------

    def find_chat(self, params: Params) -> ChatInfo:
        raw = params.get_str("chat_id")
        if not raw:
            raise bad_request("chat_id is empty")
        chat: ChatInfo | None = None
        if raw.startswith("@"):
            name = raw[1:].lower()
            chat = next(
                (c for c in self.state.chats.values() if (c.username or "").lower() == name),
                None,
            )
        elif _is_int(raw.strip()):
            chat = self.state.chats.get(int(raw))
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        return chat

    def chat_for_send(self, params: Params) -> ChatInfo:
        chat = self.find_chat(params)
        if chat.type == "private":
            user = self.state.users[chat.id]
            if user.blocked:
                raise forbidden(errors.BLOCKED)
            if not user.started:
                raise forbidden(errors.CANT_INITIATE)
        return chat

    def message_for_edit(self, params: Params) -> tuple[ChatInfo, StoredMessage]:
        if params.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        chat = self.find_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.state.get_message(chat.id, message_id)
        if message is None or message.deleted:
            raise bad_request(errors.EDIT_NOT_FOUND)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _format(self, params: Params, field: str, caption: bool) -> ParsedText:
        return format_text(
            params.get_str(field),
            params.get_str("parse_mode"),
            params.get_json(f"{field}_entities" if caption else "entities"),
            caption=caption,
            strict_entities=self.strict_entities,
            users=self.state.user_api,
        )

    def _markup(self, params: Params, inline_only: bool = False) -> dict[str, Any] | None:
        raw = params.get_json("reply_markup", MARKUP_JSON_ERROR)
        return validate_reply_markup(raw, inline_only=inline_only)

    def _reply_to(self, chat: ChatInfo, params: Params) -> StoredMessage | None:
        reply = params.get_json("reply_parameters")
        allow = params.get_bool("allow_sending_without_reply")
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply", allow))
        else:
            target_id = params.get_int("reply_to_message_id")
        if target_id is None:
            return None
        target = self.state.get_message(chat.id, int(target_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request(errors.REPLY_NOT_FOUND)
        return target

    def _commit_send(
        self, chat: ChatInfo, params: Params, message: StoredMessage, reply: StoredMessage | None
    ) -> dict[str, Any]:
        thread_id = params.get_int("message_thread_id")
        if thread_id is None and reply is not None:
            thread_id = reply.thread_id
        self.limiter.check(chat.id, is_send=True)
        message.thread_id = thread_id
        message.reply_to_message_id = reply.message_id if reply else None
        for stored in (message.document, message.photo, message.audio, message.voice):
            if stored is not None:
                self.state.register_file(stored)
        self.state.add_message(chat, message)
        self.limiter.record(chat.id, is_send=True)
        self.state.stats.sent += 1
        return self.state.message_api(message)

    def _bot_message(self, chat: ChatInfo) -> StoredMessage:
        return StoredMessage(
            chat_id=chat.id, message_id=0, from_bot=True, sender_id=self.state.bot_id, date=now()
        )

    # --- methods -------------------------------------------------------------------------

    async def accept(self, params: Params) -> bool:
        return True

    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.state.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self.poll_generation += 1
        generation = self.poll_generation
        self.state.bump()  # wakes an older long poll so it can end with 409
        offset = params.get_int("offset")
        limit = min(100, max(1, params.get_int("limit") or 100))
        timeout = max(0.0, params.get_float("timeout") or 0.0)
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self.state.allowed_updates = frozenset(allowed) or DEFAULT_UPDATE_TYPES
        self.state.confirm_updates(offset)

        def ready() -> list[dict[str, Any]] | None:
            if self.state.webhook is not None:
                raise ApiError(409, WEBHOOK_ACTIVE)
            if generation != self.poll_generation:
                raise ApiError(409, CONFLICT)
            updates = self.state.deliverable_updates(limit)
            return updates if updates or self.closing else None

        try:
            updates = await self.state.notifier.wait_until(ready, timeout)
        except TimeoutError:
            updates = []
        self.state.stats.updates_delivered += len(updates)
        return updates

    async def set_webhook(self, params: Params) -> bool:
        """Start POSTing updates to ``url`` (an empty url removes the webhook). The emulator
        takes http:// too, since it posts on loopback; Telegram wants https on 443, 80, 88
        or 8443."""
        url = (params.get_str("url") or "").strip()
        if not url:
            return await self.delete_webhook(params)
        if not url.lower().startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token") or None
        if secret is not None and (len(secret) > 256 or not set(secret) <= _SECRET_CHARS):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections") or DEFAULT_MAX_CONNECTIONS
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get_json("allowed_updates")
        allowed_list = [str(kind) for kind in allowed] if isinstance(allowed, list) else None
        if allowed_list is not None:
            self.state.allowed_updates = frozenset(allowed_list) or DEFAULT_UPDATE_TYPES
        if params.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.poll_generation += 1  # a long poll in progress ends with 409
        self.state.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=allowed_list,
        )
        self.state.bump()
        return True

    async def delete_webhook(self, params: Params) -> bool:
        self.state.webhook = None
        if params.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.state.bump()
        return True

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        pending = sum(1 for u in self.state.updates if u.kind in self.state.allowed_updates)
        config = self.state.webhook
        if config is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        info: dict[str, Any] = {
            "url": config.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": config.max_connections,
        }
        if config.allowed_updates is not None:
            info["allowed_updates"] = config.allowed_updates
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
            info["last_error_message"] = config.last_error_message
        return info

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope")
        key = scope_key(scope)
        if isinstance(scope, dict) and "chat_id" in scope:
            self.find_chat(Params({"chat_id": scope["chat_id"]}))
        return key, params.get_str("language_code") or ""

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned = []
        for item in commands:
            command = str(item.get("command", "")) if isinstance(item, dict) else ""
            description = str(item.get("description", "")) if isinstance(item, dict) else ""
            command = command.removeprefix("/")
            if (
                not command
                or len(command) > 32
                or not all(c.isalnum() or c == "_" for c in command)
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not command.islower() and not command.replace("_", "").isdigit():
                raise bad_request("BOT_COMMAND_INVALID")
            if not description.strip() or len(description) > 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        self.state.commands[self._commands_key(params)] = cleaned
        return True

    async def get_my_commands(self, params: Params) -> list[dict[str, Any]]:
        return list(self.state.commands.get(self._commands_key(params), []))

    async def delete_my_commands(self, params: Params) -> bool:
        self.state.commands.pop(self._commands_key(params), None)
        return True

    async def send_message(self, params: Params) -> dict[str, Any]:
        chat = self.chat_for_send(params)
        parsed = self._format(params, "text", caption=False)
        markup = self._markup(params)
        reply = self._reply_to(chat, params)
        message = self._bot_message(chat)
        message.text, message.entities = parsed.text, parsed.entities
        message.html = params.get_str("text")
        message.reply_markup = markup
        return self._commit_send(chat, params, message, reply)

    def _resolve_file(self, params: Params, field: str, kind: str) -> StoredFile:
        source = params.get_file(field)
        if source is None:
            raise bad_request(f"there is no {field} in the request")
        if isinstance(source, str):
            found = self.state.files.get(source)
            if found is None:
                if source.lower().startswith(("http://", "https://")):
                    raise bad_request("failed to get HTTP URL content")
                raise bad_request("wrong file identifier/HTTP URL specified")
            if found.kind != kind:
                raise bad_request(f"can't use file of type {found.kind.title()} as {kind.title()}")
            return found
        return self._new_upload(source, kind, params)

    def _new_upload(self, upload: Upload, kind: str, params: Params) -> StoredFile:
        if not upload.content:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            info = image_info(upload.content)
            if info is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            fmt, width, height = info
            return self.state.new_file(
                "photo",
                upload.content,
                mime_type=f"image/{fmt}",
                size=(width, height),
                extension="jpg" if fmt == "jpeg" else fmt,
            )
        if kind in ("audio", "voice"):
            return self._new_sound(upload, kind, params)
        mime = guess_mime(upload.filename, upload.content_type)
        return self.state.new_file("document", upload.content, upload.filename, mime)

    def _new_sound(self, upload: Upload, kind: str, params: Params) -> StoredFile:
        """An uploaded audio or voice. The emulator does not decode sound: the duration is
        the one the bot gives (Telegram would measure it), 0 if none."""
        duration = max(0, params.get_int("duration") or 0)
        mime = guess_mime(upload.filename, upload.content_type)
        if kind == "voice":
            # A voice message has no file name; Telegram keeps only the sound and its type.
            if not mime.startswith("audio/"):
                mime = "audio/ogg"
            return self.state.new_file(
                "voice", upload.content, None, mime, extension="oga", duration=duration
            )
        if not mime.startswith("audio/"):
            mime = "audio/mpeg"
        stored = self.state.new_file(
            "audio", upload.content, upload.filename, mime, duration=duration
        )
        stored.performer = params.get_str("performer") or None
        stored.title = params.get_str("title") or None
        return stored

    async def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self.chat_for_send(params)
        stored = self._resolve_file(params, kind, kind)
        parsed = self._format(params, "caption", caption=True)
        markup = self._markup(params)
        reply = self._reply_to(chat, params)
        message = self._bot_message(chat)
        setattr(message, kind, stored)  # message.photo, .document, .audio or .voice
        message.caption = parsed.text or None
        message.caption_entities = parsed.entities
        message.caption_html = params.get_str("caption")
        message.reply_markup = markup
        return self._commit_send(chat, params, message, reply)

    async def send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "document")

    async def send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def send_audio(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "audio")

    async def send_voice(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "voice")

    async def send_chat_action(self, params: Params) -> bool:
        self.chat_for_send(params)
        if params.get_str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.state.stats.chat_actions += 1
        return True

    def _commit_edit(
        self, chat: ChatInfo, message: StoredMessage, text_changed: bool = True
    ) -> dict[str, Any]:
        self.limiter.record(chat.id, is_send=False)
        message.edit_date = now()
        self.state.stats.edited += 1
        event = self.state.add_event(
            "edit",
            chat.id,
            message_id=message.message_id,
            from_bot=True,
            thread_id=message.thread_id,
            text=message.content,
            buttons=message.buttons,
            text_changed=text_changed,
        )
        message.edit_seq = event.seq
        return self.state.message_api(message)

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        chat, message = self.message_for_edit(params)
        if message.file is not None:
            raise bad_request("there is no text in the message to edit")
        parsed = self._format(params, "text", caption=False)
        markup = self._markup(params, inline_only=True)
        same_markup = markup == inline_keyboard(message.reply_markup)
        if (parsed.text, parsed.entities) == (message.text, message.entities) and same_markup:
            raise bad_request(errors.NOT_MODIFIED)
        self.limiter.check(chat.id, is_send=False)
        changed = parsed.text != message.text
        if changed:
            message.edits.append(message.text)
        message.text, message.entities = parsed.text, parsed.entities
        message.html = params.get_str("text")
        message.reply_markup = markup
        return self._commit_edit(chat, message, changed)

    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        chat, message = self.message_for_edit(params)
        if message.file is None:
            raise bad_request("there is no caption in the message to edit")
        parsed = self._format(params, "caption", caption=True)
        markup = self._markup(params, inline_only=True)
        same_markup = markup == inline_keyboard(message.reply_markup)
        current = (message.caption or "", message.caption_entities)
        if (parsed.text, parsed.entities) == current and same_markup:
            raise bad_request(errors.NOT_MODIFIED)
        self.limiter.check(chat.id, is_send=False)
        changed = parsed.text != current[0]
        if changed:
            message.edits.append(current[0])
        message.caption = parsed.text or None
        message.caption_entities = parsed.entities
        message.caption_html = params.get_str("caption")
        message.reply_markup = markup
        return self._commit_edit(chat, message, changed)

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat, message = self.message_for_edit(params)
        markup = self._markup(params, inline_only=True)
        if markup == inline_keyboard(message.reply_markup):
            raise bad_request(errors.NOT_MODIFIED)
        self.limiter.check(chat.id, is_send=False)
        message.reply_markup = markup
        return self._commit_edit(chat, message, text_changed=False)

    async def delete_message(self, params: Params) -> bool:
        chat = self.find_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.state.get_message(chat.id, message_id)
        if message is None or message.deleted:
            raise bad_request(errors.DELETE_NOT_FOUND)
        message.deleted = True
        self.state.stats.deleted += 1
        self.state.add_event("delete", chat.id, message_id=message_id, from_bot=message.from_bot)
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        query = self.state.callbacks.get(params.get_str("callback_query_id") or "")
        if query is None or query.answer is not None:
            raise bad_request(errors.QUERY_INVALID)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            text=text or None,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time") or 0,
        )
        self.state.stats.callback_answers += 1
        self.state.add_event(
            "answer",
            query.chat_id,
            message_id=query.message_id,
            from_bot=True,
            text=text or "",
            show_alert=query.answer.show_alert,
        )
        return True

    async def get_file(self, params: Params) -> dict[str, Any]:
        stored = self.state.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }
