"""The survey benchmark's floor: a minimal python-telegram-bot application.

It walks the same 16 screens as the citizen survey (intro, nine questions,
comment, four profile steps, consent, thank you) with the same button labels,
so the benchmark's citizens drive it unchanged; but the step lives only in the
callback data, and each press is answered with exactly **one** message edit:
no database, no ``answerCallbackQuery``, no logging, no jobs, no outbox.
Updates run concurrently (``concurrent_updates(True)``: nothing is shared, so
nothing can race), with PTB's defaults otherwise.

With ``--work DB`` it is the *work floor*: what any bot of this design must do
per press, done as cheaply as the stack allows. Each update writes once through
plain ``sqlite3`` in one worker thread (``/start`` inserts the citizen's row, a
press moves it with a conditional ``UPDATE … WHERE step = ?``, committed; the
same WAL and ``synchronous=NORMAL`` pragmas as the bot), then a press is
answered (``answerCallbackQuery``) and edited, the two calls concurrently.

``python -m bench.floor_bot --token T --base-url http://127.0.0.1:PORT/bot [--work DB]``
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

QUESTIONS = 9
COMMENT = QUESTIONS + 1
PROFILE = range(COMMENT + 1, COMMENT + 5)
CONTACT = COMMENT + 5
DONE = CONTACT + 1
HEADER = "Survei Kepuasan Masyarakat\nPenerbitan KTP Elektronik (KTP-el), Bidang Pelayanan"
OPTIONS = ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")


def _to(step: int) -> str:
    return f"f:{step}"


def screen(step: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one step (0 = intro)."""
    cancel = InlineKeyboardButton("Batal", callback_data="f:x")
    nav = [InlineKeyboardButton("Kembali", callback_data=_to(step - 1)), cancel]
    skip = [InlineKeyboardButton("Lewati", callback_data=_to(step + 1))]
    if step == 0:
        text = f"{HEADER}\n\nSembilan pertanyaan singkat, kurang dari satu menit, tanpa nama."
        rows = [[InlineKeyboardButton("Mulai", callback_data=_to(1))], [cancel]]
    elif step <= QUESTIONS:
        text = f"{HEADER}\n\nPertanyaan {step}/{QUESTIONS}\nBagaimana pendapat Anda?"
        rows = [[InlineKeyboardButton(o, callback_data=_to(step + 1))] for o in OPTIONS]
        rows.append(nav if step > 1 else [cancel])
    elif step == COMMENT:
        text = f"{HEADER}\n\nSaran atau keluhan (opsional). Ketik pesan, atau tekan Lewati."
        rows = [skip, nav]
    elif step in PROFILE:
        text = f"{HEADER}\n\nTentang Anda (opsional) {step - COMMENT}/4"
        rows = [skip, nav]
    elif step == CONTACT:
        text = f"{HEADER}\n\nBolehkan unit layanan menghubungi Anda?"
        yes = [InlineKeyboardButton("Ya, boleh", callback_data=_to(DONE))]
        rows = [yes, skip, nav]
    else:
        return "Terima kasih! Penilaian Anda sudah dicatat.", None
    return text, InlineKeyboardMarkup(rows)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text, markup = screen(0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    value = update.callback_query.data.removeprefix("f:")
    step = DONE if not value.isdigit() else min(int(value), DONE)
    text, markup = screen(step)
    await update.callback_query.edit_message_text(text, reply_markup=markup)


class Store:
    """One ``sqlite3`` connection in one worker thread that runs the writes in turn: the
    cheapest correct write (SQLite writes one at a time anyway), with no lock to wait
    on and one thread hand-off each way, as aiosqlite has."""

    def __init__(self, path: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floor-sqlite")
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS floor_state (user_id INTEGER PRIMARY KEY, step INTEGER)"
        )

    def _write(self, sql: str, params: tuple[int, ...]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute(sql, params)
        self._db.execute("COMMIT")

    async def write(self, sql: str, params: tuple[int, ...]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._write, sql, params)


def work_handlers(store: Store) -> tuple:
    """The work floor's two callbacks: one write each, then the Bot API calls."""

    async def work_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await store.write(
            "INSERT OR REPLACE INTO floor_state (user_id, step) VALUES (?, 0)",
            (update.effective_user.id,),
        )
        await start(update, context)

    async def work_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        value = query.data.removeprefix("f:")
        step = DONE if not value.isdigit() else min(int(value), DONE)
        await store.write(
            "UPDATE floor_state SET step = ? WHERE user_id = ? AND step = ?",
            (step, update.effective_user.id, step - 1),
        )
        text, markup = screen(step)
        await asyncio.gather(query.answer(), query.edit_message_text(text, reply_markup=markup))

    return work_start, work_press


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--work", metavar="DB", help="the work floor, writing to this file")
    args = parser.parse_args(argv)
    application = (
        ApplicationBuilder().token(args.token).base_url(args.base_url).concurrent_updates(True)
    ).build()
    on_start, on_press = work_handlers(Store(args.work)) if args.work else (start, press)
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CallbackQueryHandler(on_press))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
