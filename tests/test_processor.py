"""The update processor runs different chats in parallel and one chat strictly in order."""

from __future__ import annotations

import asyncio
import time

from telegram import Chat, Message, Update, User

from bot.processor import PerChatUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", False)
    chat = Chat(user_id, "private")
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_same_chat_is_sequential_and_ordered():
    processor = PerChatUpdateProcessor(16)
    log: list[tuple[str, int]] = []
    active = 0
    peak = 0

    async def work(n: int) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        log.append(("start", n))
        await asyncio.sleep(0.01)
        log.append(("end", n))
        active -= 1

    async with processor:
        await asyncio.gather(*(processor.process_update(_update(n, 7), work(n)) for n in range(5)))
    assert peak == 1
    assert [n for kind, n in log if kind == "start"] == [0, 1, 2, 3, 4]


async def test_different_chats_run_concurrently():
    processor = PerChatUpdateProcessor(256)
    started = time.monotonic()

    async def work() -> None:
        await asyncio.sleep(0.05)

    async with processor:
        await asyncio.gather(
            *(processor.process_update(_update(n, 1000 + n), work()) for n in range(100))
        )
    # 100 users × 50 ms one after another would take 5 s.
    assert time.monotonic() - started < 2.0


async def test_listener_sees_every_update_even_on_error():
    processor = PerChatUpdateProcessor(4)
    seen: list[int] = []
    processor.listeners.append(lambda update: seen.append(update.update_id))

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async with processor:
        try:
            await processor.process_update(_update(1, 1), boom())
        except RuntimeError:
            pass
    assert seen == [1]
