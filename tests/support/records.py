"""What the fake Bot API records: each call, each message as the user sees it, each file.

Shared by the server (``tests/support/fakebot.py``), the scripted users
(``tests/support/fakeuser.py``) and the tests that read what the bot did.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

BOT_ID = 777000


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        if value in (None, "") or str(value).startswith("@"):  # a channel's @name
            return None
        return int(value)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")


@dataclass
class Sent:
    """A message as the user sees it now (edits applied)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    kind: str = "text"
    edits: int = 0
    file: bytes | None = None

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def button_texts(self) -> list[str]:
        return [b["text"] for b in self.buttons()]

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Ulasan"},
        }
        if self.kind == "text":
            message["text"] = self.text
        else:
            message["caption"] = self.text
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass(frozen=True)
class StoredFile:
    """A file the fake server holds: sent by a user, or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes

    def as_file(self) -> dict[str, Any]:
        """The Bot API's File object, as getFile returns it."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }

    def described(self, **more: Any) -> dict[str, Any]:
        """As a message carries it: the File without its path, and ``more`` fields."""
        described = {k: v for k, v in self.as_file().items() if k != "file_path"}
        return {**described, **more}
