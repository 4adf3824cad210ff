"""Unit admins: ``ulasan admin add|list|remove`` and the scope every admin feature asks.

The CLI runs through click's CliRunner on the real command tree, against a
migrated database seeded with a small tree: Disdukcapil with a sub-unit, and
Dinas Kesehatan beside it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli.main import cli, register_commands
from bot.core.settings import Settings
from storage import unit_admins
from storage.db import SessionFactory
from storage.models import AuditLog, Employee, TelegramAccount, Unit
from tests.support.app import ADMIN_ID
from tests.support.fakebot import FakeBotApi

Run = Callable[..., Result]
DUKCAPIL_ADMIN = 610001
DINKES_ADMIN = 610002
SUB_ADMIN = 610003


@pytest.fixture
async def tree(sessions: SessionFactory) -> dict[str, int]:
    async with sessions.begin() as session:
        top = Unit(code="DUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil")
        other = Unit(code="DINKES", name="Dinas Kesehatan")
        session.add_all([top, other])
        await session.flush()
        sub = Unit(code="DUKCAPIL-PL", name="Bidang Pelayanan", parent_id=top.id)
        session.add(sub)
        await session.flush()
        deeper = Unit(code="DUKCAPIL-PL-1", name="Seksi Loket", parent_id=sub.id)
        session.add(deeper)
        await session.flush()
        staff = Employee(nip="199001012015011001", name="Dewi Anggraini", unit_id=top.id)
        session.add(staff)
        await session.flush()
        session.add(TelegramAccount(telegram_user_id=DUKCAPIL_ADMIN, employee_id=staff.id))
        return {"top": top.id, "sub": sub.id, "deeper": deeper.id, "other": other.id}


@pytest.fixture
def run(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(tmp_path)
    register_commands()
    env = {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
        "ADMIN_IDS": str(ADMIN_ID),
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["admin", *args], env=env, catch_exceptions=False)

    return invoke


async def scope_of(sessions: SessionFactory, settings: Settings, user: int):
    async with sessions() as session:
        return await unit_admins.admin_scope(session, settings, user)


async def admins_of(sessions: SessionFactory, unit_id: int) -> list[int]:
    async with sessions() as session:
        return await unit_admins.unit_admin_chats(session, unit_id)


def in_thread(work):
    """The CLI runs its own event loop: call it from a worker thread of this test's loop."""
    return asyncio.to_thread(work)


async def test_an_admin_manages_their_unit_and_the_units_below_it(
    run: Run, sessions: SessionFactory, settings: Settings, tree: dict[str, int]
):
    added = await in_thread(lambda: run("add", str(DUKCAPIL_ADMIN), "--unit", "DUKCAPIL"))
    assert added.exit_code == 0, added.output
    assert added.output.startswith(
        f"{DUKCAPIL_ADMIN} is now an admin of DUKCAPIL "
        "(Dinas Kependudukan dan Pencatatan Sipil) and its 2 sub-unit(s)."
    )
    await in_thread(lambda: run("add", str(DINKES_ADMIN), "--unit", "DINKES"))
    await in_thread(lambda: run("add", str(SUB_ADMIN), "--unit", "DUKCAPIL-PL"))

    scope = await scope_of(sessions, settings, DUKCAPIL_ADMIN)
    assert scope.is_admin and not scope.city_wide
    assert scope.unit_ids == {tree["top"], tree["sub"], tree["deeper"]}
    assert not scope.covers(tree["other"])
    sub_scope = await scope_of(sessions, settings, SUB_ADMIN)
    assert sub_scope.unit_ids == {tree["sub"], tree["deeper"]}
    assert not sub_scope.covers(tree["top"])
    city = await scope_of(sessions, settings, ADMIN_ID)
    assert city.city_wide and city.covers(tree["other"]) and city.covers(tree["deeper"])
    nobody = await scope_of(sessions, settings, 123)
    assert not nobody.is_admin and not nobody.covers(tree["top"])

    # Who are a unit's admins: granted it or a unit above it, nearest first; never ADMIN_IDS.
    assert await admins_of(sessions, tree["deeper"]) == [SUB_ADMIN, DUKCAPIL_ADMIN]
    assert await admins_of(sessions, tree["top"]) == [DUKCAPIL_ADMIN]
    assert await admins_of(sessions, tree["other"]) == [DINKES_ADMIN]


async def test_list_shows_city_and_unit_admins(run: Run, tree: dict[str, int]):
    await in_thread(lambda: run("add", str(DUKCAPIL_ADMIN), "--unit", "DUKCAPIL"))
    await in_thread(lambda: run("add", str(DINKES_ADMIN), "--unit", "DINKES"))
    table = await in_thread(lambda: run("list"))
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["telegram", "id", "manages", "linked", "employee", "added", "by"]
    assert f"{ADMIN_ID}" in lines[2] and "all units" in lines[2] and "ADMIN_IDS" in lines[2]
    assert "DINKES Dinas Kesehatan" in lines[3]
    assert "DUKCAPIL Dinas Kependudukan" in lines[4] and "Dewi Anggraini" in lines[4]
    assert "cli:" in lines[4]

    scoped = await in_thread(lambda: run("list", "--unit", "DUKCAPIL-PL", "--format", "json"))
    rows = json.loads(scoped.output)
    assert [(r["telegram_id"], r["scope"], r["unit_code"]) for r in rows] == [
        (ADMIN_ID, "city", None),
        (DUKCAPIL_ADMIN, "unit", "DUKCAPIL"),
    ]
    assert rows[1]["employee"] == "199001012015011001 Dewi Anggraini"


async def test_add_twice_changes_nothing_and_remove_writes_the_audit_log(
    run: Run, sessions: SessionFactory, settings: Settings, tree: dict[str, int]
):
    await in_thread(lambda: run("add", str(DUKCAPIL_ADMIN), "--unit", "DUKCAPIL"))
    again = await in_thread(lambda: run("add", str(DUKCAPIL_ADMIN), "--unit", "DUKCAPIL"))
    assert again.exit_code == 0 and "already an admin of DUKCAPIL; nothing changed" in again.output
    await in_thread(lambda: run("add", str(DUKCAPIL_ADMIN), "--unit", "DINKES"))

    one = await in_thread(lambda: run("remove", str(DUKCAPIL_ADMIN), "--unit", "DINKES"))
    assert one.exit_code == 0 and one.output == f"{DUKCAPIL_ADMIN} no longer administers DINKES.\n"
    assert not (await scope_of(sessions, settings, DUKCAPIL_ADMIN)).covers(tree["other"])
    assert (await scope_of(sessions, settings, DUKCAPIL_ADMIN)).covers(tree["top"])
    everything = await in_thread(lambda: run("remove", str(DUKCAPIL_ADMIN)))
    assert everything.exit_code == 0 and "no longer administers DUKCAPIL" in everything.output
    assert not (await scope_of(sessions, settings, DUKCAPIL_ADMIN)).is_admin

    async with sessions() as session:
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["admin.grant", "admin.grant", "admin.revoke", "admin.revoke"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "610001", "--unit", "NOPE"), "Error: unknown unit 'NOPE'"),
        (("add", "0", "--unit", "DUKCAPIL"), "is not a Telegram user id"),
        (("add", "abc", "--unit", "DUKCAPIL"), "'abc' is not a valid integer"),
        (("add", "610001"), "Missing option '--unit'"),
        (("remove", "610009"), "Error: 610009 is not an admin of any unit"),
        (("remove", "610009", "--unit", "DINKES"), "is not an admin of unit DINKES"),
        (("list", "--unit", "NOPE"), "unknown unit 'NOPE'"),
    ],
)
async def test_mistakes_are_one_line(run: Run, tree: dict[str, int], args, message):
    done = await in_thread(lambda: run(*args))
    assert done.exit_code == 1
    assert message in done.output
    assert "Traceback" not in done.output


async def test_a_city_admin_added_to_a_unit_is_told_it_changes_nothing(
    run: Run, tree: dict[str, int]
):
    done = await in_thread(lambda: run("add", str(ADMIN_ID), "--unit", "DINKES"))
    assert done.exit_code == 0
    assert "also in ADMIN_IDS, so they manage every unit" in done.output


async def test_akun_tells_a_person_their_id_and_what_they_administer(
    bot, fake_api: FakeBotApi, run: Run, tree: dict[str, int]
):
    stranger = fake_api.user(620001, "Rudi", "id")
    first = await stranger.send("/akun")
    assert "ID pengguna Telegram Anda: 620001" in first.text  # what HR asks for
    assert "admin" not in first.text

    await in_thread(lambda: run("add", "620001", "--unit", "DINKES"))
    now_admin = await stranger.send("/akun")
    assert "Anda adalah admin: DINKES Dinas Kesehatan (beserta sub-unitnya)." in now_admin.text
    city = await fake_api.user(ADMIN_ID, "Admin", "en").send("/akun")
    assert "You are an administrator of every unit (BKPSDM)." in city.text


async def test_bkpsdm_adds_and_removes_a_unit_admin_in_telegram(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings, tree: dict[str, int]
):
    async with sessions() as session:
        dewi = await session.scalar(select(Employee.id).where(Employee.name == "Dewi Anggraini"))
    hr = fake_api.user(ADMIN_ID, "Admin BKPSDM", "id")
    shown = await hr.send("/admin")
    assert "👥 Admin unit (0)" in shown.text and "Belum ada admin unit." in shown.text
    await hr.press("Tambah admin unit")
    assert hr.last.button_texts()[:2] == [
        "DINKES Dinas Kesehatan",
        "DUKCAPIL Dinas Kependudukan dan Pencatatan Sipil",
    ]
    await hr.press("DUKCAPIL Dinas")
    assert "Siapa yang menjadi admin DUKCAPIL" in hr.last.text
    assert hr.last.button_texts() == ["Dewi Anggraini", "« Kembali"]
    added = await hr.press("Dewi Anggraini")
    assert added.alerts == ["Ditambahkan; yang bersangkutan sudah diberi tahu."]
    assert "• DUKCAPIL Dinas Kependudukan dan Pencatatan Sipil: Dewi Anggraini" in hr.last.text
    await fake_api.wait_for_calls(
        lambda calls: any(
            c.chat_id == DUKCAPIL_ADMIN and "Anda sekarang admin DUKCAPIL" in c.text for c in calls
        )
    )
    assert (await scope_of(sessions, settings, DUKCAPIL_ADMIN)).covers(tree["deeper"])
    again = await hr.press_data(f"ad:g:{tree['top']}:{dewi}")
    assert again.alerts == ["Yang bersangkutan sudah menjadi admin unit ini."]

    # Refused: a person of another unit, forged data, and anyone who is not BKPSDM.
    other = await hr.press_data(f"ad:g:{tree['other']}:{dewi}")
    assert other.alerts == ["Pegawai ini tidak dapat dipilih untuk unit ini."]
    assert (await hr.press_data("ad:g:x")).alerts == ["Tombol ini tidak valid."]
    unit_admin = fake_api.user(DUKCAPIL_ADMIN, "Dewi", "id")
    refused = await unit_admin.send("/admin")
    assert "hanya untuk administrator BKPSDM" in refused.text
    assert (await unit_admin.press_data("ad:l")).alerts == [
        "Maaf, pengelolaan admin unit hanya untuk administrator BKPSDM."
    ]

    # Removing asks first, and tells her.
    await hr.send("/admin")
    await hr.press("Hapus: Dewi Anggraini (DUKCAPIL)")
    assert "Hapus Dewi Anggraini sebagai admin DUKCAPIL" in hr.last.text
    confirm = hr.last.buttons()[0]["callback_data"]
    removed = await hr.press("Ya, hapus")
    assert removed.alerts == ["Dihapus; yang bersangkutan sudah diberi tahu."]
    assert "Belum ada admin unit." in hr.last.text
    used = await hr.press_data(confirm)  # a second press: the confirmation is used up
    assert used.alerts[0].startswith("Konfirmasi ini sudah tidak berlaku")
    forged = await hr.press_data("ad:rc:AAAAAAAAAAAAAAAA")
    assert forged.alerts[0].startswith("Konfirmasi ini sudah tidak berlaku")
    assert not (await scope_of(sessions, settings, DUKCAPIL_ADMIN)).is_admin
    await fake_api.wait_for_calls(
        lambda calls: any(
            c.chat_id == DUKCAPIL_ADMIN and "Anda bukan lagi admin DUKCAPIL" in c.text
            for c in calls
        )
    )
    async with sessions() as session:
        actors = list(await session.scalars(select(AuditLog.actor).order_by(AuditLog.id)))
    assert len(actors) == 2 and all(a.startswith("telegram:") for a in actors)
