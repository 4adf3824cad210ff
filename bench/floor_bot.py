"""The survey benchmark's floor: a minimal python-telegram-bot application.

It walks the same 16 screens as the citizen survey (intro, nine questions,
comment, four profile steps, consent, thank you) with the same button labels,
so the benchmark's citizens drive it unchanged; but the step lives only in the
callback data, and each press is answered with exactly **one** message edit:
no database, no ``answerCallbackQuery``, no logging, no jobs, no outbox.
Updates run concurrently (``concurrent_updates(True)``: nothing is shared, so
nothing can race), with PTB's defaults otherwise.

``python -m bench.floor_bot --token T --base-url http://127.0.0.1:PORT/bot``
"""

from __future__ import annotations

import argparse

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True)
    args = parser.parse_args(argv)
    application = (
        ApplicationBuilder().token(args.token).base_url(args.base_url).concurrent_updates(True)
    ).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(press))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
