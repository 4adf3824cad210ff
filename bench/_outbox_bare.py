"""The floor of the outbox benchmark: a bare PTB loop, no database, no limiter.

``python -m bench._outbox_bare BASE_URL TOKEN COUNT FIRST_CHAT_ID`` sends COUNT
reminder-sized messages (text and one button, like ``review_reminders``) to
distinct chats, one request in flight like the sender, with PTB's `Bot` and its
default HTTPXRequest, and prints ``{"sent": n, "seconds": s, "rate": r}``. What
the sender adds on top (claims, one commit per 'sent' mark, pacing) is the gap
between this rate and the sender's unthrottled rate.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

TEXT = (
    "Pengingat: penilaian 360° “Benchmark 360” masih menunggu Anda.\n\n"
    "Belum dinilai: penilaian diri Anda.\n\n"
    "Mohon selesaikan paling lambat 3 Desember 2026 (tinggal 10 hari)."
)


async def bare(base_url: str, token: str, count: int, first_chat: int) -> dict[str, float]:
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Lanjutkan menilai", callback_data="rv:list")]]
    )
    async with Bot(token, base_url=base_url) as bot:
        started = time.monotonic()
        for n in range(count):
            await bot.send_message(first_chat + n, TEXT, reply_markup=markup)
        seconds = time.monotonic() - started
    return {"sent": count, "seconds": seconds, "rate": count / seconds}


def main(argv: list[str]) -> None:
    base_url, token, count, first_chat = argv
    result = asyncio.run(bare(base_url, token, int(count), int(first_chat)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
