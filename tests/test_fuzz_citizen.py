"""Property-based test: the citizen survey under random sequences of input from random users.

Hypothesis generates scripts of actions for three citizens: QR scans (valid,
inactive, unknown), commands, typed text, media, presses of the current
keyboard, presses of keyboards seen earlier (stale), forged callback data
naming their own or someone else's survey, malformed data, double taps and
redelivered updates. They run against the real Application and the fake Bot
API server, which refuses what Telegram refuses (`telegram_refusals`).

Invariants, checked after every action or at the end of each script:

- no unhandled exception (nothing logged at ERROR, no apology sent);
- every callback query is answered, every message gets a reply;
- an action of one citizen never changes another citizen's rows;
- a submitted survey has exactly one answer per unsur, each 1–4, and each is a
  value that citizen pressed for that unsur of that survey;
- nothing counted twice: at most one submitted survey per citizen, service and
  day (``SURVEY_MAX_PER_DAY`` = 1), at most one open draft per citizen.

One Application serves every example (starting one takes a second); each
example uses citizens of its own, so examples do not see each other. Runs are
reproducible (``derandomize``); ``ULASAN_FUZZ_EXAMPLES=500`` asks for more,
``ULASAN_FUZZ_RANDOM=1`` for new scripts (Hypothesis prints the failing one).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.settings import Settings
from storage.crypto import pseudonym
from storage.db import SessionFactory
from storage.survey_models import SurveyResponse
from tests.support.citizen import QR, QR_INACTIVE, QR_INACTIVE_SERVICE, QR_OFFICER, seed_roster
from tests.support.fakebot import FakeBotApi
from tests.support.fuzz import Driver, telegram_refusals, watch_errors

EXAMPLES = int(os.environ.get("ULASAN_FUZZ_EXAMPLES", "16"))
# Reproducible by default (the same scripts every run); ULASAN_FUZZ_RANDOM=1 explores.
DERANDOMIZE = not os.environ.get("ULASAN_FUZZ_RANDOM")
USERS_PER_EXAMPLE = 3
_user_ids = count(300_000, 10)

PAYLOADS = (QR, QR, QR, QR_OFFICER, QR_INACTIVE, QR_INACTIVE_SERVICE, "s_tidakada99", "x-y_z")
COMMANDS = (
    "/start",
    "/help",
    "/privacy",
    "/hapusdata",
    "/deletemydata",
    "/language",
    "/nilai",
    "/hasil",
    "/akun",
    "/tidakada",
    f"/start@UlasanTestBot {QR}",
    "/start s_",
    "/start " + "s_" + "a" * 70,
)
MEDIA = ("sticker", "photo", "voice", "contact", "location")
STEPS = ("intro", "U1", "U5", "U9", "U10", "comment", "age_group", "gender", "contact", "done", "")
ACTIONS = ("go", "a", "p", "s", "c", "b", "x", "", "zz")
VALUES = ("1", "2", "3", "4", "0", "5", "-1", "yes", "no", "18-29", "m", "f", "sma", "x" * 12)


def _fits(data: str) -> bool:
    return 1 <= len(data.encode()) <= 64


forged_parts = st.tuples(
    st.sampled_from(("own", "other", "random")),
    st.sampled_from(ACTIONS),
    st.lists(st.sampled_from(STEPS + VALUES), max_size=3),
)
junk_data = st.one_of(
    st.text(min_size=1, max_size=64),
    st.sampled_from(
        (
            "sp:rate",
            "sp:u:0",
            "sp:u:9999",
            "sp:n:1",
            "sp:n:2",
            "sp:n:999999999",
            "sp:n:1:7",
            "sp:s:1",
            "sp:s:2",
            "sp:s:3",
            "sp:s:999999999",
            "hd:yes",
            "hd:no",
            "lang:en",
            "lang:id",
            "lang:xx",
            "rv:list",
            "rv:list:here",
            "rv:nobody000000000:open",
            "sv::go",
            "sv:" + "A" * 16 + ":go",
            "sv:" + "A" * 17 + ":go",
        )
    ),
).filter(_fits)

action = st.one_of(
    st.tuples(st.just("scan"), st.sampled_from(PAYLOADS)),
    st.tuples(st.just("command"), st.sampled_from(COMMANDS)),
    st.tuples(
        st.just("text"),
        st.one_of(
            st.text(max_size=80).filter(lambda t: not t.startswith("/")),
            st.sampled_from(
                (
                    "Antrean rapi.",
                    "NIK 3201010101900001, hp 0812-3456-7890",
                    "   ",
                    "x" * 1200,
                )
            ),
        ),
    ),
    st.tuples(st.just("media"), st.sampled_from(MEDIA)),
    # Weighted towards progress: a press that is not Back or Cancel, several times.
    st.tuples(st.just("advance"), st.integers(0, 7)),
    st.tuples(st.just("advance"), st.integers(0, 7)),
    # A run of such presses (valid answers through to the end, usually).
    st.tuples(st.just("run"), st.integers(0, 7), st.integers(4, 20)),
    st.tuples(st.just("run"), st.integers(0, 7), st.integers(12, 24)),
    st.tuples(st.just("press"), st.integers(0, 9)),
    st.tuples(st.just("stale"), st.integers(0, 50), st.integers(0, 9)),
    st.tuples(st.just("forged"), forged_parts),
    st.tuples(st.just("junk"), junk_data),
    st.tuples(st.just("double"), st.integers(0, 7)),
    st.tuples(st.just("again"), st.just(0)),
)
scripts = st.lists(
    st.tuples(st.integers(0, USERS_PER_EXAMPLE - 1), action), min_size=4, max_size=40
)

TOKEN_RE = re.compile(r"^sv:([A-Za-z0-9_-]{1,16}):")
ANSWER_RE = re.compile(r"^sv:([A-Za-z0-9_-]{1,16}):a:(U[1-9]):([1-4])\n?$")


def _forward(data: str) -> bool:
    """A press that moves a survey on: not Back, Cancel, delete, or the unit list."""
    return not re.search(r":(x|b:\w+)$", data) and data not in ("hd:yes", "sp:u:0")


def _columns(row: SurveyResponse) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in SurveyResponse.__mapper__.column_attrs}


async def _rows(sessions: SessionFactory) -> list[SurveyResponse]:
    async with sessions() as session:
        return list(await session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


@pytest.fixture
async def world(bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory) -> FakeBotApi:
    await seed_roster(sessions)
    fake_api.fault = telegram_refusals(fake_api)
    fake_api.shared_message_ids = True
    return fake_api


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=scripts)
async def test_random_citizen_input_keeps_the_survey_invariants(
    world: FakeBotApi, sessions: SessionFactory, settings: Settings, script: list[Any]
):
    api = world
    secret = settings.secret_bytes()
    users = [api.user(next(_user_ids)) for _ in range(USERS_PER_EXAMPLE)]
    keys = {pseudonym(secret, u.id): u for u in users}
    driver = Driver(api)
    pressed: set[tuple[str, str, int]] = set()  # (token, unsur, value) a citizen sent
    own_tokens: dict[int, set[str]] = {u.id: set() for u in users}

    def tokens_seen(user_id: int) -> set[str]:
        found = set()
        for message in driver.seen.get(user_id, []):
            for button in message.buttons():
                match = TOKEN_RE.match(button.get("callback_data", ""))
                if match:
                    found.add(match.group(1))
        own_tokens[user_id] |= found
        return found

    def record(data: str) -> None:
        match = ANSWER_RE.match(data)
        if match:
            pressed.add((match.group(1), match.group(2), int(match.group(3))))

    first_call = len(api.calls)
    with watch_errors() as errors:
        for who, (kind, *args) in script:
            user = users[who]
            others = {k: u for k, u in keys.items() if u is not user}
            before = {r.id: _columns(r) for r in await _rows(sessions) if r.user_key in others}
            if kind == "scan":
                await driver.send(user, f"/start {args[0]}")
            elif kind == "command":
                await driver.send(user, args[0])
            elif kind == "text":
                await driver.send(user, args[0])
            elif kind == "media":
                await driver.send_media(user, args[0])
            elif kind in ("advance", "press", "double", "run"):
                await driver.press_current(
                    user, kind, args, entry=f"/start {QR}", forward=_forward, record=record
                )
            elif kind == "stale":
                await driver.press_stale(user, args, record)
            elif kind == "forged":
                whose, verb, parts = args[0]
                if whose == "own":
                    tokens = sorted(tokens_seen(user.id)) or ["AAAAAAAAA"]
                elif whose == "other":
                    tokens = sorted(set().union(*(tokens_seen(u.id) for u in others.values())))
                    tokens = tokens or ["BBBBBBBBB"]
                else:
                    tokens = ["Zz9_-Zz9_-Zz9_-Z"]
                data = ":".join(("sv", tokens[len(parts) % len(tokens)], verb, *parts))
                if not 1 <= len(data.encode()) <= 64:
                    continue
                record(data)
                await driver.press(user, data, driver.pressable(user), "forged")
            elif kind == "junk":
                await driver.press(user, args[0], driver.pressable(user), "junk")
            elif kind == "again":
                await driver.redeliver_last(user)
            after = {r.id: _columns(r) for r in await _rows(sessions) if r.user_key in others}
            assert after == before, f"{user.id}'s {kind} changed another citizen's survey"
        note("\n".join(driver.trace))
        errors.check(api.calls[first_call:])

    rows = [r for r in await _rows(sessions) if r.user_key in keys]
    submitted = [r for r in rows if r.status == "submitted"]
    event(f"submitted surveys: {len(submitted)}")
    for row in submitted:
        answers = row.answers()
        assert all(v in (1, 2, 3, 4) for v in answers.values()), answers
        assert row.step == "done" and row.submitted_at is not None
        for unsur, value in answers.items():
            assert (row.token, unsur, value) in pressed, f"{unsur}={value} stored but never pressed"
        assert row.contact_ok == (row.contact_chat_id is not None)
        if row.contact_chat_id is not None:
            assert keys[row.user_key].id == row.contact_chat_id
    per_day = Counter((r.user_key, r.service_id, r.local_date) for r in submitted)
    assert all(n <= settings.survey_max_per_day for n in per_day.values()), per_day
    drafts = Counter(r.user_key for r in rows if r.status == "draft")
    assert all(n <= 1 for n in drafts.values()), drafts
    for row in rows:  # drafts and cancelled ones too: only scores that were pressed
        for unsur, value in row.answers().items():
            assert value is None or (row.token, unsur, value) in pressed
