"""The fake Bot API itself: files a user sends reach the bot, and Telegram's pushback.

The first tests run the real Application (the ``bot`` fixture) with a tiny
handler of their own in front of the project's, so that what the bot receives
and downloads over HTTP is exactly what the user sent. The pushback tests talk
to the fake with a plain python-telegram-bot ``Bot``, which turns the fake's
answers into the exceptions the project's code catches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.app import BotApplication
from tests.support.fakebot import TOKEN, FakeBotApi
from tests.support.fakeuser import PhotoFile
from tests.support.pushback import (
    BAD_GATEWAY,
    EveryNth,
    Pushback,
    RateLimit,
    Stall,
    too_many_requests,
)

# PTB itself warns while building a RetryAfter (retry_after becomes a timedelta in v23).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHAT = 4242


def keep_files(application: BotApplication) -> list[dict[str, Any]]:
    """Handle every document or photo before the project's handlers: download it, stop."""
    received: list[dict[str, Any]] = []

    async def download(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        attachment = message.document or message.photo[-1]  # a photo: its largest size
        file = await context.bot.get_file(attachment.file_id)
        received.append(
            {
                "bytes": bytes(await file.download_as_bytearray()),
                "size": file.file_size,
                "caption": message.caption,
                "name": message.document.file_name if message.document else None,
                "mime": message.document.mime_type if message.document else None,
            }
        )
        raise ApplicationHandlerStop

    # Before every group of the project's (its lowest is -1); the stop keeps them out.
    application.add_handler(
        MessageHandler(filters.Document.ALL | filters.PHOTO, download), group=-100
    )
    return received


async def test_the_bot_downloads_a_document_a_user_sent(
    bot: BotApplication, fake_api: FakeBotApi
) -> None:
    received = keep_files(bot)
    roster = b"nip;nama\n198001012005011001;Budi Santoso\n"
    user = fake_api.user(5001)

    await user.send_document(roster, "pegawai.csv", "text/csv", caption="Roster baru")

    assert received == [
        {
            "bytes": roster,
            "size": len(roster),
            "caption": "Roster baru",
            "name": "pegawai.csv",
            "mime": "text/csv",
        }
    ]


async def test_the_bot_downloads_the_largest_size_of_a_photo(
    bot: BotApplication, fake_api: FakeBotApi
) -> None:
    received = keep_files(bot)
    sizes = [PhotoFile(90, 68, b"small"), PhotoFile(1280, 960, b"large photo bytes")]

    await fake_api.user(5002).send_photo(sizes, caption="Bukti perbaikan")

    assert [(r["bytes"], r["caption"]) for r in received] == [
        (b"large photo bytes", "Bukti perbaikan")
    ]


@pytest.fixture
async def tg(fake_api: FakeBotApi) -> AsyncIterator[Bot]:
    """A plain PTB Bot against the fake, as the app factory points one (base and file URL)."""
    file_url = fake_api.base_url.removesuffix("/bot") + "/file/bot"
    async with Bot(TOKEN, base_url=fake_api.base_url, base_file_url=file_url) as client:
        yield client


async def test_what_the_bot_uploads_can_be_fetched_back(tg: Bot) -> None:
    message = await tg.send_document(CHAT, b"PK\x03\x04 a workbook", filename="laporan.xlsx")

    assert message.document is not None
    file = await tg.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04 a workbook"


async def test_an_unknown_file_id_is_a_bad_request(tg: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await tg.get_file("no-such-file")


async def test_every_nth_call_of_a_method_is_answered_502(fake_api: FakeBotApi, tg: Bot) -> None:
    fake_api.pushback = Pushback(EveryNth(2, BAD_GATEWAY, methods=frozenset({"sendMessage"})))

    await tg.send_message(CHAT, "satu")
    await tg.answer_callback_query("q1")  # not a chosen method: not counted
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await tg.send_message(CHAT, "dua")
    await tg.send_message(CHAT, "tiga")

    assert [m.text for m in fake_api.chat_messages(CHAT)] == ["satu", "tiga"]
    assert fake_api.pushback.refused == {502: 1}


async def test_counted_overall_or_per_method(fake_api: FakeBotApi, tg: Bot) -> None:
    methods = frozenset({"sendMessage", "answerCallbackQuery"})
    overall = EveryNth(2, too_many_requests(retry_after=7), methods=methods)
    fake_api.pushback = Pushback(overall)

    await tg.send_message(CHAT, "satu")
    with pytest.raises(RetryAfter) as refused:
        await tg.answer_callback_query("q1")  # the second of either method
    assert refused.value.retry_after == 7

    fake_api.pushback = Pushback(EveryNth(2, BAD_GATEWAY, methods=methods, per_method=True))
    await tg.send_message(CHAT, "dua")
    await tg.answer_callback_query("q2")
    with pytest.raises(NetworkError):
        await tg.send_message(CHAT, "tiga")  # the second sendMessage


async def test_a_stalled_answer_times_out_but_the_edit_was_made(
    fake_api: FakeBotApi, tg: Bot
) -> None:
    sent = await tg.send_message(CHAT, "Pertanyaan 1/9")
    edits = frozenset({"editMessageText"})
    fake_api.pushback = Pushback(EveryNth(1, Stall(5.0), methods=edits))

    with pytest.raises(TimedOut):
        await tg.edit_message_text("Pertanyaan 2/9", CHAT, sent.message_id, read_timeout=0.3)

    assert fake_api.chat_messages(CHAT)[0].text == "Pertanyaan 2/9"
    assert fake_api.pushback.stalled == 1


async def test_a_rate_limit_refuses_past_the_limit_with_retry_after(
    fake_api: FakeBotApi, tg: Bot
) -> None:
    accepted: list[int] = []
    pushback = Pushback(RateLimit(per_second=3), on_accept=accepted.append)
    fake_api.pushback = pushback

    for number in range(3):
        await tg.send_message(CHAT + number, "pengingat")
    with pytest.raises(RetryAfter) as refused:
        await tg.send_message(CHAT + 3, "pengingat")

    assert refused.value.retry_after == 1
    assert accepted == [1, 2, 3]
    assert pushback.arrivals == 4
    assert pushback.refused == {429: 1}
    assert pushback.per_chat() == {CHAT: 1, CHAT + 1: 1, CHAT + 2: 1}


async def test_lean_mode_keeps_no_call_log_but_tells_listeners(
    fake_api: FakeBotApi, tg: Bot
) -> None:
    fake_api.record_calls = False
    heard: list[tuple[str, str]] = []
    fake_api.message_listeners.append(lambda method, sent: heard.append((method, sent.text)))

    sent = await tg.send_message(CHAT, "Mulai")
    await tg.edit_message_text("Pertanyaan 1/9", CHAT, sent.message_id)

    assert heard == [("sendMessage", "Mulai"), ("editMessageText", "Pertanyaan 1/9")]
    assert [call.method for call in fake_api.calls] == ["getMe"]  # from before the switch
    assert fake_api.counts["sendMessage"] == 1
    assert fake_api.counts["editMessageText"] == 1
