"""Scripted Telegram users of the fake Bot API: they send, press and upload, and wait.

`FakeUser` (made by `FakeBotApi.user`) builds the updates a Telegram client
would produce (a message, a command, a button press, a sticker, a photo in its
sizes, a document with its name and type) and offers them to the bot through
the fake server; each action returns once the bot has processed the update,
with a `Reply`: what the bot did in answer. Files a user sends are held by the
server, so the bot can fetch them with ``getFile`` and download them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.support.records import Call, Sent

if TYPE_CHECKING:
    from tests.support.fakebot import FakeBotApi


@dataclass(frozen=True)
class PhotoFile:
    """One size of a photo a user sends."""

    width: int
    height: int
    content: bytes


# What `FakeUser.send_photo` sends when the test gives no sizes: one small JPEG-ish file.
A_PHOTO = (PhotoFile(90, 90, b"\xff\xd8\xff\xe0 a 90x90 photo \xff\xd9"),)


@dataclass
class Reply:
    """What the bot did in answer to one user action."""

    calls: list[Call] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.calls if c.text]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


class FakeUser:
    def __init__(
        self, api: FakeBotApi, user_id: int, first_name: str, language_code: str | None
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        if self.api.shared_message_ids:
            message_id = next(self.api._message_ids.setdefault(self.id, itertools.count(1)))
        else:
            message_id = 10_000 + next(self._message_ids)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "from": self._from(),
            **content,
        }

    async def _act(self, update: dict[str, Any], query_id: str | None = None) -> Reply:
        before = len(self.api.calls)
        update_id = self.api.push_update(update)
        await self.api.wait_processed(update_id)
        calls = self.api.calls[before:]
        mine = [c for c in calls if c.chat_id == self.id]
        alerts = [
            str(c.params.get("text", ""))
            for c in calls
            if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
        ]
        answered = [
            c
            for c in calls
            if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
        ]
        return Reply(calls=mine + answered, alerts=[a for a in alerts if a])

    async def send(self, text: str) -> Reply:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._act({"message": self._message(**content)})

    async def send_sticker(self) -> Reply:
        sticker = {
            "file_id": "sticker1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._act({"message": self._message(sticker=sticker)})

    async def send_photo(
        self, sizes: Sequence[PhotoFile] = A_PHOTO, caption: str | None = None
    ) -> Reply:
        """Send a photo in ``sizes`` (smallest first, as Telegram lists them)."""
        photo = [
            self.api.store_file(size.content, "photos", "photo.jpg").described(
                width=size.width, height=size.height
            )
            for size in sizes
        ]
        return await self._act({"message": self._message(photo=photo, **_caption(caption))})

    async def send_document(
        self,
        content: bytes,
        file_name: str = "dokumen.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> Reply:
        """Send a file as a document; the bot can fetch it with getFile and download it."""
        stored = self.api.store_file(content, "documents", file_name)
        document = stored.described(file_name=file_name, mime_type=mime_type)
        return await self._act({"message": self._message(document=document, **_caption(caption))})

    async def send_voice(self) -> Reply:
        voice = {"file_id": "voice1", "file_unique_id": "v1", "duration": 2}
        return await self._act({"message": self._message(voice=voice)})

    @property
    def messages(self) -> list[Sent]:
        return self.api.chat_messages(self.id)

    @property
    def last(self) -> Sent:
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot sent nothing to user {self.id}")
        return messages[-1]

    def last_with_buttons(self) -> Sent:
        for message in reversed(self.messages):
            if message.buttons():
                return message
        raise AssertionError(f"no message with buttons for user {self.id}")

    async def press(self, label: str, message: Sent | None = None) -> Reply:
        """Press the button whose text equals (or starts with) ``label``."""
        message = message or self.last_with_buttons()
        buttons = message.buttons()
        match = [b for b in buttons if b["text"] == label] or [
            b for b in buttons if b["text"].startswith(label)
        ]
        if not match:
            raise AssertionError(f"no button {label!r} in {message.button_texts()}")
        button = match[0]
        if "url" in button:
            raise AssertionError(f"button {label!r} is a URL button")
        return await self.press_data(button["callback_data"], message)

    async def press_data(self, data: str, message: Sent | None = None) -> Reply:
        """Send a callback query with any data (also forged) from ``message``."""
        if message is None:
            messages = self.messages
            message = messages[-1] if messages else Sent(self.id, 1, "", None)
        query_id = f"{self.id}-{next(self._query_ids)}"
        update = {
            "callback_query": {
                "id": query_id,
                "from": self._from(),
                "chat_instance": str(self.id),
                "data": data,
                "message": message.as_message(),
            }
        }
        return await self._act(update, query_id)


def _caption(caption: str | None) -> dict[str, Any]:
    return {"caption": caption} if caption is not None else {}
