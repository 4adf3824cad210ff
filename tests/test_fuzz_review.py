"""Property-based test: the 360° rating conversation under random input from random users.

Hypothesis generates scripts for four people: a unit head, two staff (all
linked) and a stranger who is not linked. They send /nilai, press the current
keyboard, runs of answers towards Submit, keyboards seen earlier (stale),
forged ``rv:`` data naming their own or a colleague's assignments with any
step and value, malformed data, typed comments, media, double taps and
redelivered updates, against the real Application and the fake Bot API
server (which refuses what Telegram refuses).

Invariants:

- no unhandled exception (nothing logged at ERROR, no apology sent);
- every callback query is answered, every message gets a reply;
- nobody rates a colleague they are not assigned to: an action of one person
  never changes an assignment (or its answers) of which they are not the rater;
- a submitted review has one answer per core value, each on the scale or
  "cannot assess", each a value its rater pressed; hasil kerja exactly when
  the rater is the direct supervisor.

One Application serves every example; each example seeds people and a cycle
of its own. Reproducible by default; ``ULASAN_FUZZ_EXAMPLES`` and
``ULASAN_FUZZ_RANDOM=1`` as in ``test_fuzz_citizen.py``.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import BotApplication
from scheduler.scoring.review_instrument import EXPECTATION_SCALE
from scheduler.scoring.shipped_instruments import get_instrument
from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit
from storage.review_models import (
    PEER,
    SELF,
    SUBORDINATE,
    SUPERVISOR,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from tests.support.fakebot import FakeBotApi
from tests.support.fuzz import Driver, telegram_refusals, watch_errors
from tests.support.rating_world import today_local

EXAMPLES = int(os.environ.get("ULASAN_FUZZ_EXAMPLES", "16"))
DERANDOMIZE = not os.environ.get("ULASAN_FUZZ_RANDOM")
_worlds = count(1)
PEOPLE = ("head", "ani", "budi", "stranger")

COMMANDS = ("/nilai", "/review", "/start", "/help", "/hasil", "/akun", "/tidakada", "/batal")
MEDIA = ("sticker", "photo", "voice", "location")
VERBS = ("open", "a", "h", "s", "d", "b", "e", "x", "ok", "", "zz")
PARTS = ("B1", "B4", "B7", "B8", "hasil", "keep", "improve", "confirm", "1", "2", "3", "4")
PARTS += ("0", "-1", "999", "n", "x" * 16, "")


def _fits(data: str) -> bool:
    return 1 <= len(data.encode()) <= 64


action = st.one_of(
    st.tuples(st.just("command"), st.sampled_from(COMMANDS)),
    st.tuples(
        st.just("text"),
        st.one_of(
            st.text(max_size=60).filter(lambda t: not t.startswith("/")),
            st.sampled_from(("Teliti dan ramah.", "NIK 3201010101900001", " ", "y" * 1100)),
        ),
    ),
    st.tuples(st.just("media"), st.sampled_from(MEDIA)),
    st.tuples(st.just("advance"), st.integers(0, 7)),
    st.tuples(st.just("run"), st.integers(0, 7), st.integers(4, 16)),
    st.tuples(st.just("run"), st.integers(0, 7), st.integers(10, 16)),
    st.tuples(st.just("press"), st.integers(0, 9)),
    st.tuples(st.just("stale"), st.integers(0, 50), st.integers(0, 9)),
    st.tuples(
        st.just("forged"),
        st.sampled_from(("own", "other", "random")),
        st.sampled_from(VERBS),
        st.lists(st.sampled_from(PARTS), max_size=2),
    ),
    st.tuples(
        st.just("junk"),
        st.one_of(
            st.text(min_size=1, max_size=64),
            st.sampled_from(("rv:list", "rv:list:here", "rv:", "rv::open", "rv:list:x")),
        ).filter(_fits),
    ),
    st.tuples(st.just("double"), st.integers(0, 7)),
    st.tuples(st.just("again"), st.just(0)),
)
# The first action of a script goes to a rater, so most scripts get somewhere.
scripts = st.lists(st.tuples(st.sampled_from((0, 1, 1, 2, 3)), action), min_size=4, max_size=35)

TOKEN_RE = re.compile(r"^rv:([A-Za-z0-9_-]{1,16}):")
ANSWER_RE = re.compile(r"^rv:([A-Za-z0-9_-]{1,16}):a:([A-Za-z0-9_-]{1,16}):(-?\d{1,3}|n)\n?$")
HASIL_RE = re.compile(r"^rv:([A-Za-z0-9_-]{1,16}):h:(\d{1,3})\n?$")


def _forward(data: str) -> bool:
    """A press that moves a review on: not Back, Cancel, Change answers or Delete comment."""
    return not re.search(r":(x|e|b:[\w-]+|d:\w+)$", data)


async def seed_world(sessions: SessionFactory, n: int) -> dict[str, Any]:
    """A head with two staff, all linked, and one open cycle; Telegram ids and tokens."""
    base = 500_000 + n * 10
    telegram = {name: base + i for i, name in enumerate(PEOPLE)}
    async with sessions.begin() as session:
        unit = Unit(code=f"FZ{n}", name=f"Bidang Uji {n}")
        session.add(unit)
        await session.flush()
        people: dict[str, Employee] = {}
        for i, name in enumerate(PEOPLE[:3]):
            employee = Employee(
                nip=f"{19800000 + n:08d}{i:010d}", name=name.title(), unit_id=unit.id
            )
            session.add(employee)
            await session.flush()
            session.add(TelegramAccount(telegram_user_id=telegram[name], employee_id=employee.id))
            people[name] = employee
        for name in ("ani", "budi"):
            people[name].supervisor_id = people["head"].id
        cycle = ReviewCycle(
            name=f"Fuzz {n}", deadline=today_local() + timedelta(days=7), instrument="berakhlak3"
        )
        session.add(cycle)
        await session.flush()
        tokens: dict[str, str] = {}
        for rater, ratee, relation in (
            ("ani", "budi", PEER),
            ("ani", "ani", SELF),
            ("ani", "head", SUBORDINATE),
            ("head", "ani", SUPERVISOR),
            ("head", "head", SELF),
            ("budi", "ani", PEER),
        ):
            token = f"f{n}{rater}{ratee}".ljust(16, "0")[:16]
            tokens[f"{rater}>{ratee}"] = token
            session.add(
                ReviewAssignment(
                    cycle_id=cycle.id,
                    rater_id=people[rater].id,
                    ratee_id=people[ratee].id,
                    relation=relation,
                    token=token,
                )
            )
    return {
        "telegram": telegram,
        "tokens": tokens,
        "employees": {name: e.id for name, e in people.items()},
        "cycle": cycle.id,
    }


async def _state(sessions: SessionFactory, cycle_id: int) -> dict[int, dict[str, Any]]:
    """Every column of every assignment of the cycle, with its answers, by assignment id."""
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(ReviewAssignment).where(ReviewAssignment.cycle_id == cycle_id)
            )
        )
        answers = (
            await session.execute(
                select(ReviewAnswer.assignment_id, ReviewAnswer.item_code, ReviewAnswer.value)
                .where(ReviewAnswer.assignment_id.in_([r.id for r in rows]))
                .order_by(ReviewAnswer.id)
            )
        ).all()
        cycle = await session.get(ReviewCycle, cycle_id)
        assert cycle is not None and cycle.status == "open"
    state = {}
    for row in rows:
        values = {c.key: getattr(row, c.key) for c in ReviewAssignment.__mapper__.column_attrs}
        values["answers"] = {code: value for a, code, value in answers if a == row.id}
        values["answer_rows"] = sum(1 for a, _, _ in answers if a == row.id)
        state[row.id] = values
    return state


@pytest.fixture
async def world(bot: BotApplication, fake_api: FakeBotApi) -> FakeBotApi:
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
async def test_random_review_input_keeps_the_rating_invariants(
    world: FakeBotApi, sessions: SessionFactory, script: list[Any]
):
    api = world
    seeded = await seed_world(sessions, next(_worlds))
    users = [api.user(seeded["telegram"][name]) for name in PEOPLE]
    employee_of = {
        u.id: seeded["employees"].get(name) for name, u in zip(PEOPLE, users, strict=True)
    }
    all_tokens = sorted(seeded["tokens"].values())
    driver = Driver(api)
    pressed: set[tuple[str, str, int | None]] = set()
    instrument = get_instrument("berakhlak3")

    def record(data: str) -> None:
        match = ANSWER_RE.match(data)
        if match:
            raw = match.group(3)
            pressed.add((match.group(1), match.group(2), None if raw == "n" else int(raw)))
        match = HASIL_RE.match(data)
        if match:
            pressed.add((match.group(1), "hasil", int(match.group(2))))

    def own_tokens(user_id: int) -> list[str]:
        found = set()
        for message in driver.seen.get(user_id, []):
            for button in message.buttons():
                match = TOKEN_RE.match(button.get("callback_data", ""))
                if match and match.group(1) != "list":
                    found.add(match.group(1))
        return sorted(found)

    first_call = len(api.calls)
    with watch_errors() as errors:
        for who, (kind, *args) in script:
            user = users[who]
            mine = employee_of[user.id]
            before = await _state(sessions, seeded["cycle"])
            if kind == "command":
                await driver.send(user, args[0])
            elif kind == "text":
                await driver.send(user, args[0])
            elif kind == "media":
                await driver.send_media(user, args[0])
            elif kind in ("advance", "press", "double", "run"):
                await driver.press_current(
                    user, kind, args, entry="/nilai", forward=_forward, record=record
                )
            elif kind == "stale":
                await driver.press_stale(user, args, record)
            elif kind == "forged":
                whose, verb, parts = args
                if whose == "own":
                    tokens = own_tokens(user.id) or all_tokens
                elif whose == "other":
                    tokens = [t for t in all_tokens if t not in own_tokens(user.id)]
                else:
                    tokens = ["Zz9_-Zz9_-Zz9_-Z"]
                token = tokens[(len(parts) + len(verb)) % len(tokens)]
                data = ":".join(("rv", token, verb, *parts))
                if not _fits(data):
                    continue
                record(data)
                await driver.press(user, data, driver.pressable(user), "forged")
            elif kind == "junk":
                await driver.press(user, args[0], driver.pressable(user), "junk")
            elif kind == "again":
                await driver.redeliver_last(user)
            after = await _state(sessions, seeded["cycle"])
            for assignment_id, values in before.items():
                if values["rater_id"] != mine:
                    assert after[assignment_id] == values, (
                        f"{PEOPLE[who]}'s {kind} changed the review {values['token']} "
                        "they are not the rater of\n" + "\n".join(driver.trace)
                    )
        note("\n".join(driver.trace))
        errors.check(api.calls[first_call:])

    state = await _state(sessions, seeded["cycle"])
    submitted = [v for v in state.values() if v["status"] == "submitted"]
    event(f"submitted reviews: {len(submitted)}")
    scale = set(instrument.scale.values)
    for values in state.values():
        answers = values["answers"]
        assert values["answer_rows"] == len(answers)
        assert set(answers) <= set(instrument.item_codes)
        for code, value in answers.items():
            assert value is None or value in scale
            assert (values["token"], code, value) in pressed, f"{code}={value} never pressed"
        if values["relation"] != SUPERVISOR:
            assert values["hasil_kerja"] is None
        elif values["hasil_kerja"] is not None:
            assert values["hasil_kerja"] in EXPECTATION_SCALE
            assert (values["token"], "hasil", values["hasil_kerja"]) in pressed
    for values in submitted:
        assert set(values["answers"]) == set(instrument.item_codes)
        assert values["submitted_at"] is not None
        if values["relation"] == SUPERVISOR:
            assert values["hasil_kerja"] is not None
