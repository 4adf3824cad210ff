"""The HTTP client alone: CPU per Bot API call, PTB's default httpx request against aiohttp.

``python -m bench.http_calls [--calls N] [--rounds R]`` (informative, not part of
``make bench``; issue 22's A/B of ``TELEGRAM_HTTP_CLIENT``, next to the survey
benchmark's whole-bot figures).

This process runs the fake Bot API server (the survey benchmark's, lean mode).
Each round starts a fresh interpreter per client (``--client NAME``, the same
module) that makes N calls as a survey press makes them: an
``editMessageText`` with the survey's keyboard and an ``answerCallbackQuery``,
the two sent together, through a `telegram.Bot` with that client
(`scheduler.aiohttp_request.telegram_request`). The child measures its own
CPU (user + system, ``time.process_time``) over the calls, after a warm-up of
200, so the server's work is not in the figure. Clients alternate round by
round, so a busy machine hurts both alike; the medians and their ratio are
printed and written to ``bench/results/http_calls.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "http_calls.json"
CLIENTS = ("httpx", "aiohttp")
WARM_UP = 200
CHAT = 5_000_001


async def calls(client: str, base_url: str, count: int) -> dict[str, float]:
    """The child: ``count`` press-shaped pairs of calls; its own CPU per call."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from bench._survey_citizens import TOKEN
    from scheduler.aiohttp_request import telegram_request

    options = ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(o, callback_data=f"s:{n}")] for n, o in enumerate(options)]
    )
    text = "Survei Kepuasan Masyarakat\n\nPertanyaan 3/9\nBagaimana pendapat Anda?"
    request = telegram_request(client)  # type: ignore[arg-type]
    async with Bot(TOKEN, base_url=base_url, request=request) as bot:
        sent = await bot.send_message(CHAT, text, reply_markup=markup)

        async def press(n: int) -> None:
            await asyncio.gather(
                bot.edit_message_text(f"{text} {n}", CHAT, sent.message_id, reply_markup=markup),
                bot.answer_callback_query(f"{os.getpid()}-{n}"),
            )

        for n in range(WARM_UP):
            await press(n)
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(WARM_UP, WARM_UP + count):
            await press(n)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_ms_per_call": cpu * 1000 / (2 * count), "wall_ms_per_press": wall * 1000 / count}


async def drive(count: int, rounds: int) -> dict[str, Any]:
    from bench._survey_citizens import bench_api

    api = bench_api()
    await api.start()
    figures: dict[str, list[dict[str, float]]] = {client: [] for client in CLIENTS}
    try:
        for _ in range(rounds):
            for client in CLIENTS:
                child = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.http_calls", "--client", client,
                    "--base-url", api.base_url, "--calls", str(count),
                    cwd=ROOT, stdout=subprocess.PIPE,
                )  # fmt: skip
                out, _ = await child.communicate()
                figures[client].append(json.loads(out))
                print(f"  {client:<8} {figures[client][-1]}", flush=True)
    finally:
        await api.stop()
    medians = {
        client: round(statistics.median(f["cpu_ms_per_call"] for f in runs), 3)
        for client, runs in figures.items()
    }
    return {
        "calls_per_round": 2 * count,
        "rounds": rounds,
        "load_average_before": os.getloadavg()[0],
        "runs": figures,
        "cpu_ms_per_call_median": medians,
        "aiohttp_to_httpx": round(medians["aiohttp"] / medians["httpx"], 2),
    }


def main(argv: list[str]) -> int:
    def option(name: str, default: str) -> str:
        return argv[argv.index(name) + 1] if name in argv else default

    count = int(option("--calls", "2000"))
    if "--client" in argv:
        result = asyncio.run(calls(option("--client", ""), option("--base-url", ""), count))
        print(json.dumps(result), flush=True)
        return 0
    load = os.getloadavg()[0]
    result = asyncio.run(drive(count, int(option("--rounds", "3"))))
    result["load_average_before"] = round(load, 2)
    medians = result["cpu_ms_per_call_median"]
    print(
        f"  CPU per call (median of {result['rounds']} rounds): httpx {medians['httpx']:.3f} ms, "
        f"aiohttp {medians['aiohttp']:.3f} ms, ratio {result['aiohttp_to_httpx']:.2f} "
        f"(load average before {load:.2f})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
