"""Bad input during the citizen survey: junk, long or dirty comments, stale and forged buttons.

Each case checks the answer the citizen sees and that the database holds
exactly what it held before (or, for comments, the cleaned and masked text).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable

import pytest

from bot.app import BotApplication
from bot.core.i18n import gettext_for
from storage.db import SessionFactory
from tests.support.citizen import (
    QR,
    Roster,
    choose,
    complete,
    responses,
    seed_roster,
    snapshot,
    survey_message,
)
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser, Reply

UNEXPECTED = gettext_for("id")(
    "I only understand commands and buttons here. To rate a service, scan the QR "
    "code at the counter; /help lists what I can do."
)


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


def junk(user: FakeUser) -> list[tuple[str, Callable[[], Awaitable[Reply]]]]:
    return [
        ("text", lambda: user.send("bagus sekali")),
        ("sticker", user.send_sticker),
        ("photo", user.send_photo),
        ("voice", user.send_voice),
    ]


async def _go_to(user: FakeUser, step: str) -> None:
    """From a fresh scan to the named step."""
    await user.send(f"/start {QR}")
    if step == "intro":
        return
    await user.press("Mulai")
    if step == "question":
        await choose(user, 4)  # now at 2/9
        return
    for _ in range(9):
        await choose(user, 4)
    if step == "comment":
        return
    await user.press("Lewati")
    if step == "profile":
        await choose(user, 2)  # now at gender
        return
    for _ in range(4):
        await user.press("Lewati")
    assert step == "contact"


@pytest.mark.parametrize(
    ("step", "hint", "shown"),
    [
        ("intro", "Silakan tekan Mulai", "Sembilan pertanyaan singkat"),
        ("question", "Silakan jawab dengan menekan salah satu tombol", "Pertanyaan 2/9"),
        ("profile", "Silakan jawab dengan menekan salah satu tombol", "Jenis kelamin"),
        ("contact", "Silakan jawab dengan menekan salah satu tombol", "menghubungi Anda"),
    ],
)
async def test_junk_where_a_button_is_expected(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    roster: Roster,
    step: str,
    hint: str,
    shown: str,
):
    user = fake_api.user(301)
    await _go_to(user, step)
    before = await snapshot(sessions, with_message_id=False)
    for kind, act in junk(user):
        previous = survey_message(user)
        reply = await act()
        assert hint in reply.text, kind
        assert shown in reply.text, kind
        # The question again, as a new message that is now the survey message.
        current = survey_message(user)
        assert current.message_id != previous.message_id
        assert previous.buttons() == []
        assert await snapshot(sessions, with_message_id=False) == before, kind
    rows = await responses(sessions)
    assert rows[0].message_id == survey_message(user).message_id
    # The survey goes on from the new message.
    await choose(user, 1)
    assert (await responses(sessions))[0].step != before[0]["step"]


async def test_non_text_at_the_comment_step(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(302)
    await _go_to(user, "comment")
    before = await snapshot(sessions, with_message_id=False)
    for act in (user.send_sticker, user.send_photo, user.send_voice):
        reply = await act()
        assert "Silakan ketik saran atau keluhan Anda sebagai teks" in reply.text
        assert "Lewati" in survey_message(user).button_texts()
        assert await snapshot(sessions, with_message_id=False) == before
    # Only control characters is no comment either.
    reply = await user.send("\x00\x07")
    assert "Silakan ketik saran" in reply.text
    assert await snapshot(sessions, with_message_id=False) == before
    await user.send("Ruang tunggu panas")
    assert (await responses(sessions))[0].comment == "Ruang tunggu panas"


async def test_comment_too_long_is_refused_and_answers_are_kept(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(303)
    await _go_to(user, "comment")
    reply = await user.send("a" * 1001)
    assert "1001 karakter" in reply.text and "1000" in reply.text
    assert "persingkat" in reply.text
    row = (await responses(sessions))[0]
    assert row.step == "comment" and row.comment is None
    assert tuple(row.answers().values()) == (4,) * 9
    reply = await user.send("b" * 1000)
    assert "Umur" in reply.text
    row = (await responses(sessions))[0]
    assert row.comment == "b" * 1000 and row.step == "age_group"


async def test_control_characters_are_stripped(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(304)
    await _go_to(user, "comment")
    await user.send("Antri\x00an lama\x07\r\nPetugas\tramah\u202e, hubungi budi@mail.com\x1b[31m")
    row = (await responses(sessions))[0]
    assert row.comment == "Antrian lama\nPetugas ramah, hubungi [EMAIL][31m"


async def test_commands_keep_working_during_a_survey(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(305)
    await _go_to(user, "question")
    reply = await user.send("/help")
    assert "Yang dapat saya lakukan" in reply.text
    reply = await user.send("/privacy")
    assert "Privasi" in reply.text
    await choose(user, 3)
    assert "3/9" in survey_message(user).text
    assert (await responses(sessions))[0].u2 == 3


async def test_text_without_a_survey_gets_the_usual_answer(
    bot: BotApplication, fake_api: FakeBotApi, roster: Roster
):
    user = fake_api.user(306)
    reply = await user.send("halo")
    assert reply.texts == [UNEXPECTED]
    reply = await user.send_sticker()
    assert reply.texts == [UNEXPECTED]
    await complete(user)
    reply = await user.send("terima kasih juga")
    assert reply.texts == [UNEXPECTED]


async def test_double_tap_writes_once(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(307)
    await _go_to(user, "question")
    question = copy.deepcopy(survey_message(user))  # 2/9 as the citizen saw it
    first = question.buttons()[3]["callback_data"]  # "Sangat mudah"
    second = question.buttons()[0]["callback_data"]  # "Tidak mudah", tapped right after
    await user.press_data(first, question)
    after_first = await snapshot(sessions)
    for data in (first, second, first):
        reply = await user.press_data(data, question)
        assert reply.alerts and "sudah dijawab" in reply.alerts[0]
    assert await snapshot(sessions) == after_first
    row = (await responses(sessions))[0]
    assert row.u2 == 4 and row.step == "U3"

    # Back twice from the same message: only one step back.
    await user.press("Kembali")
    back_data = f"sv:{row.token}:b:U3"
    reply = await user.press_data(back_data)
    assert reply.alerts
    assert (await responses(sessions))[0].step == "U2"


async def test_stale_buttons_of_earlier_and_cancelled_surveys(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(308)
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    cancelled_question = copy.deepcopy(survey_message(user))
    await user.press("Batal")
    await complete(user)
    submitted = (await responses(sessions))[1]
    before = await snapshot(sessions)
    stale = [
        cancelled_question.buttons()[0]["callback_data"],
        f"sv:{submitted.token}:a:U1:1",
        f"sv:{submitted.token}:s:contact",
        f"sv:{submitted.token}:c:yes",
        f"sv:{submitted.token}:b:U2",
        f"sv:{submitted.token}:x",
    ]
    for data in stale:
        reply = await user.press_data(data, cancelled_question)
        assert reply.alerts and "ditutup" in reply.alerts[0], data
    assert await snapshot(sessions) == before
    assert [r.status for r in await responses(sessions)] == ["cancelled", "submitted"]


async def test_forged_and_malformed_callback_data(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(309)
    await _go_to(user, "question")  # at U2
    token = (await responses(sessions))[0].token
    intruder = fake_api.user(310)
    before = await snapshot(sessions)

    not_current = [
        f"sv:{token}:a:U5:4",  # skipping ahead
        f"sv:{token}:a:U1:1",  # an answered question
        f"sv:{token}:go",  # the intro again
        f"sv:{token}:s:comment",  # skipping a step that is not current
        f"sv:{token}:p:gender:f",
        f"sv:{token}:c:yes",  # submitting early
        f"sv:{token}:b:U5",
    ]
    for data in not_current:
        reply = await user.press_data(data)
        assert reply.alerts and "sudah dijawab" in reply.alerts[0], data

    malformed = [
        f"sv:{token}:a:U2:5",  # not an option
        f"sv:{token}:a:U2:0",
        f"sv:{token}:a:U2",
        f"sv:{token}:a:U10:1",
        f"sv:{token}:a:U2:4:extra",
        f"sv:{token}:s:U2",  # a question cannot be skipped
        f"sv:{token}:p:gender:x",
        f"sv:{token}:p:religion:1",
        f"sv:{token}:c:no",
        f"sv:{token}:b:U1",  # nothing before the first question
        f"sv:{token}:b:intro",
        f"sv:{token}:zz",
        "sv:",
        "sv:" + "A" * 61,
        f"sv:{token}:a:U2:'; DROP TABLE survey_responses; --",
        "hd:maybe",
    ]
    for data in malformed:
        reply = await user.press_data(data)
        assert reply.alerts == ["Tombol ini tidak valid."], data

    unknown = ["sv:AAAAAAAAAAAA:a:U2:4", "sv:nope:x"]
    for data in unknown:
        reply = await user.press_data(data)
        assert reply.alerts and "tidak tersedia" in reply.alerts[0], data

    # Another citizen pressing with this citizen's token.
    for data in (f"sv:{token}:a:U2:1", f"sv:{token}:x"):
        reply = await intruder.press_data(data)
        assert reply.alerts and "tidak tersedia" in reply.alerts[0], data

    assert await snapshot(sessions) == before
    # The real citizen is unaffected.
    await choose(user, 2)
    assert (await responses(sessions))[0].u2 == 2


async def test_a_valid_press_on_an_older_message_moves_the_survey_there(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(311)
    await _go_to(user, "question")  # at 2/9
    older = copy.deepcopy(survey_message(user))
    await user.send("halo")  # the question again, in a new message
    newer = survey_message(user)
    assert newer.message_id != older.message_id
    await user.press_data(older.buttons()[2]["callback_data"], older)  # still the current step
    row = (await responses(sessions))[0]
    assert row.u2 == 3 and row.step == "U3"
    assert row.message_id == older.message_id
    assert "3/9" in fake_api.messages[(user.id, older.message_id)].text
    assert newer.buttons() == []  # only one live survey message
