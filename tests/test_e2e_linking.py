"""Employees link their Telegram accounts by opening the link from HR, over real HTTP.

The real Application runs against the fake Bot API server; codes are issued
with `storage.accounts` (what ``ulasan link-codes`` does) and opened as the
deep link's ``/start link_<code>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.clock import utcnow
from bot.core.settings import Settings
from storage import link_codes
from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount, Unit
from tests.support.fakebot import FakeBotApi

ANI = "198501012010012001"
BUDI = "199002022015031002"


@dataclass
class Codes:
    settings: Settings
    sessions: SessionFactory

    async def issue(self, *, renew: bool = False, days_ago: int = 0) -> dict[str, str]:
        """NIP → deep-link payload (``link_<code>``) for every employee given a code."""
        async with self.sessions.begin() as session:
            issued = await link_codes.issue_link_codes(
                session,
                link_codes.LinkPolicy.from_settings(self.settings),
                actor="cli:test",
                renew=renew,
                now=utcnow() - timedelta(days=days_ago),
            )
        return {item.nip: item.payload for item in issued}

    async def linked(self) -> dict[int, str]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(TelegramAccount.telegram_user_id, Employee.nip).join(
                    Employee, Employee.id == TelegramAccount.employee_id
                )
            )
            return dict(rows.all())


@pytest.fixture
async def codes(settings: Settings, sessions: SessionFactory) -> Codes:
    async with sessions.begin() as session:
        dinas = Unit(code="DISDUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil")
        session.add(dinas)
        await session.flush()
        seksi = Unit(code="PIAK-KTP", name="Seksi Identitas Penduduk", parent_id=dinas.id)
        session.add(seksi)
        await session.flush()
        session.add_all(
            [
                Employee(nip=ANI, name="Ani Lestari", position="Kepala Dinas", unit_id=dinas.id),
                Employee(
                    nip=BUDI,
                    name="Budi Santoso",
                    position="Pengadministrasi Kependudukan",
                    unit_id=seksi.id,
                ),
            ]
        )
    return Codes(settings, sessions)


async def test_employee_opens_the_link_and_is_greeted_by_name(
    bot: BotApplication, fake_api: FakeBotApi, codes: Codes
):
    payload = (await codes.issue())[BUDI]
    budi = fake_api.user(101, "Budi")
    reply = await budi.send(f"/start {payload}")
    assert (
        "Akun Anda sudah tertaut: Budi Santoso, Pengadministrasi Kependudukan, "
        "Seksi Identitas Penduduk." in reply.text
    )
    assert "Traceback" not in reply.text
    assert await codes.linked() == {101: BUDI}

    # A double tap (or Telegram delivering the update again) changes nothing.
    again = await budi.send(f"/start {payload}")
    assert "Akun Anda sudah tertaut: Budi Santoso" in again.text
    assert "Tidak ada lagi yang perlu dilakukan" in again.text
    assert await codes.linked() == {101: BUDI}

    shown = await budi.send("/akun")
    assert "Budi Santoso" in shown.text and f"NIP {BUDI}" in shown.text
    assert "Seksi Identitas Penduduk" in shown.text


async def test_english_user_gets_english_and_keeps_the_language(
    bot: BotApplication, fake_api: FakeBotApi, codes: Codes
):
    payload = (await codes.issue())[ANI]
    ani = fake_api.user(102, "Ani", language_code="en")
    reply = await ani.send(f"/start {payload}")
    assert "Your account is linked: Ani Lestari, Kepala Dinas, " in reply.text
    async with codes.sessions() as session:
        language = await session.scalar(
            select(TelegramAccount.language).where(TelegramAccount.telegram_user_id == 102)
        )
    assert language == "en"
    shown = await ani.send("/account")
    assert "This Telegram account is linked to:" in shown.text


async def test_a_second_person_with_the_same_code_is_refused(
    bot: BotApplication, fake_api: FakeBotApi, codes: Codes
):
    payload = (await codes.issue())[BUDI]
    await fake_api.user(103, "Budi").send(f"/start {payload}")
    other = fake_api.user(104, "Orang lain")
    reply = await other.send(f"/start {payload}")
    assert "sudah pernah digunakan" in reply.text and "BKPSDM" in reply.text
    assert "Budi" not in reply.text  # a used code does not tell a stranger whose it was
    assert await codes.linked() == {103: BUDI}
    assert "belum tertaut" in (await other.send("/akun")).text


async def test_expired_and_replaced_codes_are_explained(
    bot: BotApplication, fake_api: FakeBotApi, codes: Codes
):
    old = (await codes.issue(days_ago=15))[BUDI]
    budi = fake_api.user(105, "Budi")
    reply = await budi.send(f"/start {old}")
    assert "kedaluwarsa" in reply.text and "kode baru" in reply.text

    replaced = (await codes.issue())[ANI]
    newest = (await codes.issue(renew=True))[ANI]  # asked: the earlier code stops working
    ani = fake_api.user(106, "Ani")
    assert "digantikan" in (await ani.send(f"/start {replaced}")).text
    assert "Akun Anda sudah tertaut: Ani Lestari" in (await ani.send(f"/start {newest}")).text
    assert await codes.linked() == {106: ANI}


async def test_five_wrong_codes_lock_linking_even_with_the_right_one(
    bot: BotApplication, fake_api: FakeBotApi, codes: Codes
):
    payload = (await codes.issue())[BUDI]
    guesser = fake_api.user(107, "Penebak")
    for attempt in range(4):
        reply = await guesser.send(f"/start link_wrongcode{attempt:05d}")
        assert "tidak valid" in reply.text and "Terlalu banyak" not in reply.text
    fifth = await guesser.send("/start link_wrongcode00004")
    assert "tidak valid" in fifth.text and "Terlalu banyak" in fifth.text
    assert "WIB" in fifth.text  # when linking opens again, in local time

    refused = await guesser.send(f"/start {payload}")
    assert "Terlalu banyak" in refused.text and "Budi" not in refused.text
    assert await codes.linked() == {}
    # Anyone else is not affected, with the very same code.
    budi = fake_api.user(108, "Budi")
    assert "Akun Anda sudah tertaut: Budi" in (await budi.send(f"/start {payload}")).text


async def test_link_moves_to_a_new_phone(bot: BotApplication, fake_api: FakeBotApi, codes: Codes):
    first = (await codes.issue())[ANI]
    old_phone = fake_api.user(109, "Ani")
    await old_phone.send(f"/start {first}")
    renewed = (await codes.issue(renew=True))[ANI]

    new_phone = fake_api.user(110, "Ani")
    reply = await new_phone.send(f"/start {renewed}")
    assert "Akun Anda sudah tertaut: Ani Lestari" in reply.text
    assert "sebelumnya tertaut ke pegawai ini sudah tidak tertaut" in reply.text
    assert await codes.linked() == {110: ANI}
    assert "belum tertaut" in (await old_phone.send("/akun")).text
    assert "Ani Lestari" in (await new_phone.send("/akun")).text


async def test_account_command_when_not_linked(bot: BotApplication, fake_api: FakeBotApi):
    reply = await fake_api.user(111, language_code="en").send("/akun")
    assert "not linked to an employee" in reply.text


async def test_plain_start_still_greets(bot: BotApplication, fake_api: FakeBotApi):
    reply = await fake_api.user(112, language_code=None).send("/start")
    assert "Selamat datang" in reply.text
