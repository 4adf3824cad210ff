"""Link codes against a real migrated database: issue, redeem, expiry, reuse, lock-out, moves.

The clock is injected (``now=``), so expiry and the lock-out window are tested
without sleeping. The roster is seeded directly with the models.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import storage.model_registry  # noqa: F401  (every table, for the whole-database scan)
from storage import accounts, link_codes
from storage.accounts import Outcome
from storage.crypto import keyed_hash, pseudonym
from storage.db import SessionFactory, create_engine, session_factory
from storage.link_codes import LinkPolicy
from storage.models import (
    AuditLog,
    Base,
    Employee,
    LinkCode,
    LinkFailure,
    TelegramAccount,
    Unit,
)
from tests.support.app import make_settings

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ACTOR = "cli:tester"
# Distinctive Telegram ids, so "never in the audit log" is a meaningful search.
ANI_PHONE = 5_550_001_111
ANI_NEW_PHONE = 5_550_002_222
BUDI_PHONE = 5_550_003_333
STRANGER = 5_550_009_999


@dataclass
class Roster:
    dinas: Unit
    bidang: Unit
    seksi: Unit
    other: Unit
    ani: Employee  # bidang
    budi: Employee  # seksi (below bidang)
    citra: Employee  # other unit
    dodi: Employee  # inactive, bidang


@pytest.fixture
def policy(tmp_path: Path, migrated: str) -> LinkPolicy:
    return LinkPolicy.from_settings(make_settings(tmp_path, migrated))


@pytest.fixture
async def sessions(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    async with sessions.begin() as session:
        dinas = Unit(code="DISDUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil")
        other = Unit(code="DINKES", name="Dinas Kesehatan")
        session.add_all([dinas, other])
        await session.flush()
        bidang = Unit(code="PIAK", name="Bidang Pelayanan Pendaftaran Penduduk", parent_id=dinas.id)
        session.add(bidang)
        await session.flush()
        seksi = Unit(code="PIAK-KTP", name="Seksi Identitas Penduduk", parent_id=bidang.id)
        session.add(seksi)
        await session.flush()
        ani = Employee(
            nip="198501012010012001",
            name="Ani Lestari",
            position="Kepala Bidang",
            unit_id=bidang.id,
        )
        budi = Employee(
            nip="199002022015031002",
            name="Budi Santoso",
            position="Pengadministrasi Kependudukan",
            unit_id=seksi.id,
        )
        citra = Employee(
            nip="199103032019032003", name="Citra Dewi", position="Perawat", unit_id=other.id
        )
        dodi = Employee(
            nip="197004042000031004",
            name="Dodi Pratama",
            position="Analis",
            unit_id=bidang.id,
            active=False,
        )
        session.add_all([ani, budi, citra, dodi])
    return Roster(dinas, bidang, seksi, other, ani, budi, citra, dodi)


async def issue(
    sessions: SessionFactory, policy: LinkPolicy, **kwargs
) -> dict[str, link_codes.IssuedCode]:
    kwargs.setdefault("now", T0)
    async with sessions.begin() as session:
        issued = await link_codes.issue_link_codes(session, policy, actor=ACTOR, **kwargs)
    return {item.nip: item for item in issued}


async def redeem(
    sessions: SessionFactory,
    policy: LinkPolicy,
    code: str,
    user: int,
    now: datetime = T0,
    language: str | None = "id",
) -> accounts.RedeemResult:
    async with sessions.begin() as session:
        return await accounts.redeem_link_code(
            session, policy, code=code, telegram_user_id=user, language=language, now=now
        )


async def linked(sessions: SessionFactory) -> dict[int, str]:
    """Telegram user id → NIP of every link."""
    async with sessions() as session:
        rows = await session.execute(
            select(TelegramAccount.telegram_user_id, Employee.nip).join(
                Employee, Employee.id == TelegramAccount.employee_id
            )
        )
        return dict(rows.all())


async def audit(sessions: SessionFactory) -> list[AuditLog]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))


# -- issuing ----------------------------------------------------------------------------


async def test_codes_for_active_unlinked_employees(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    codes = await issue(sessions, policy)
    assert set(codes) == {roster.ani.nip, roster.budi.nip, roster.citra.nip}  # not inactive Dodi
    assert link_codes.CODE_BYTES * 8 >= 64
    assert len({c.code for c in codes.values()}) == 3
    for item in codes.values():
        assert re.fullmatch(r"[A-Za-z0-9_-]{16}", item.code)
        assert item.payload == "link_" + item.code
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", item.payload)
        assert item.expires_at == T0 + timedelta(days=14)
        assert not item.already_linked
    budi = codes[roster.budi.nip]
    assert (budi.name, budi.unit_code, budi.unit_name) == (
        "Budi Santoso",
        "PIAK-KTP",
        "Seksi Identitas Penduduk",
    )
    [entry] = await audit(sessions)
    assert (entry.actor, entry.action) == (ACTOR, link_codes.ACTION_ISSUE)
    assert "3 code(s) issued" in entry.detail and roster.ani.nip in entry.detail


async def test_only_unlinked_unless_renew(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    async with sessions.begin() as session:
        session.add(TelegramAccount(telegram_user_id=ANI_PHONE, employee_id=roster.ani.id))
    assert roster.ani.nip not in await issue(sessions, policy)
    renewed = await issue(sessions, policy, renew=True)
    assert set(renewed) == {roster.ani.nip, roster.budi.nip, roster.citra.nip}
    assert renewed[roster.ani.nip].already_linked
    assert not renewed[roster.budi.nip].already_linked


async def test_unit_filter_takes_sub_units(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    assert set(await issue(sessions, policy, unit_code="PIAK")) == {
        roster.ani.nip,
        roster.budi.nip,
    }
    assert set(await issue(sessions, policy, unit_code="PIAK-KTP", renew=True)) == {roster.budi.nip}
    assert set(await issue(sessions, policy, unit_code="DINKES")) == {roster.citra.nip}
    with pytest.raises(link_codes.UnknownUnit):
        await issue(sessions, policy, unit_code="NOPE")


async def test_nothing_to_issue_writes_nothing(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    assert await issue(sessions, policy, unit_code="DISDUKCAPIL") != {}
    async with sessions.begin() as session:
        for employee, phone in ((roster.ani, ANI_PHONE), (roster.budi, BUDI_PHONE)):
            session.add(TelegramAccount(telegram_user_id=phone, employee_id=employee.id))
    before = len(await audit(sessions))
    assert await issue(sessions, policy, unit_code="DISDUKCAPIL") == {}
    assert len(await audit(sessions)) == before


async def test_only_a_keyed_hash_is_stored(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster, migrated: str
):
    codes = await issue(sessions, policy)
    plain = [item.code for item in codes.values()]
    async with sessions() as session:
        hashes = set(await session.scalars(select(LinkCode.code_hash)))
        assert hashes == {keyed_hash(policy.secret, "link", code) for code in plain}
        # Every value of every table: no plain code anywhere.
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(table.select())).all()
            dump = repr(rows)
            assert not [code for code in plain if code in dump], table.name
    if migrated.startswith("sqlite"):
        async with sessions() as session:
            await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(migrated.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert roster.budi.nip.encode() in raw  # the scan does see the data
        assert not [code for code in plain if code.encode() in raw]


async def test_a_second_run_leaves_handed_out_codes_working(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    first = await issue(sessions, policy)
    # A new employee joins; the next run issues hers only, and every slip still works.
    async with sessions.begin() as session:
        eka = Employee(nip="199505052020122005", name="Eka Putri", unit_id=roster.seksi.id)
        session.add(eka)
    again = await issue(sessions, policy, now=T0 + timedelta(days=1))
    assert set(again) == {"199505052020122005"}
    at = T0 + timedelta(days=2)
    result = await redeem(sessions, policy, first[roster.budi.nip].code, BUDI_PHONE, at)
    assert result.outcome is Outcome.LINKED
    # Once a code expires, the next run gives that employee a new one.
    later = await issue(sessions, policy, now=T0 + timedelta(days=14, hours=12))
    assert set(later) == {roster.ani.nip, roster.citra.nip}
    assert (await audit(sessions))[-1].detail.count("0 earlier unused code(s) revoked") == 1


async def test_renewing_one_employee_voids_only_their_code(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    first = await issue(sessions, policy)
    lost = await issue(sessions, policy, nips=[roster.budi.nip], now=T0 + timedelta(days=1))
    assert set(lost) == {roster.budi.nip}
    async with sessions() as session:
        assert (
            await link_codes.open_code_count(session, roster.budi.id, T0 + timedelta(days=1)) == 1
        )
    at = T0 + timedelta(days=2)
    result = await redeem(sessions, policy, first[roster.budi.nip].code, BUDI_PHONE, at)
    assert result.outcome is Outcome.REVOKED
    assert result.employee is not None and result.employee.name == "Budi Santoso"
    assert await linked(sessions) == {}
    new = lost[roster.budi.nip].code
    assert (await redeem(sessions, policy, new, BUDI_PHONE, at)).outcome is Outcome.LINKED
    # Ani's slip from the first run was not touched.
    ani = first[roster.ani.nip].code
    assert (await redeem(sessions, policy, ani, ANI_PHONE, at)).outcome is Outcome.LINKED
    assert "1 earlier unused code(s) revoked" in (await audit(sessions))[1].detail


async def test_renewing_by_nip_refuses_unknown_inactive_and_out_of_scope(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    with pytest.raises(link_codes.UnknownEmployee, match="not in the roster"):
        await issue(sessions, policy, nips=["199999999999999999"])
    with pytest.raises(link_codes.UnknownEmployee, match="is not active"):
        await issue(sessions, policy, nips=[roster.dodi.nip])
    with pytest.raises(link_codes.UnknownEmployee):
        await issue(sessions, policy, nips=[roster.citra.nip], unit_code="DISDUKCAPIL")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LinkCode)) == 0


async def test_status_says_who_is_linked_and_who_holds_a_code(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    codes = await issue(sessions, policy, unit_code="PIAK")
    await redeem(sessions, policy, codes[roster.ani.nip].code, ANI_PHONE)
    async with sessions() as session:
        rows = await link_codes.code_status(session, now=T0 + timedelta(hours=1))
        count = await session.scalar(select(func.count()).select_from(LinkCode))
    by_nip = {row.nip: row for row in rows}
    assert set(by_nip) == {roster.ani.nip, roster.budi.nip, roster.citra.nip}  # active only
    assert by_nip[roster.ani.nip].linked and by_nip[roster.ani.nip].code_expires_at is None
    budi = by_nip[roster.budi.nip]
    assert not budi.linked and budi.code_expires_at == T0 + timedelta(days=14)
    assert by_nip[roster.citra.nip].code_expires_at is None
    assert count == 2  # status issued nothing
    async with sessions() as session:
        expired = await link_codes.code_status(
            session, unit_code="PIAK-KTP", now=T0 + timedelta(days=15)
        )
    assert [(r.nip, r.code_expires_at) for r in expired] == [(roster.budi.nip, None)]


# -- redeeming ----------------------------------------------------------------------------


async def test_valid_code_links_and_names_the_employee(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    code = (await issue(sessions, policy))[roster.budi.nip].code
    result = await redeem(sessions, policy, code, BUDI_PHONE, T0 + timedelta(hours=1), "en")
    assert result.ok and result.outcome is Outcome.LINKED
    assert result.employee is not None
    assert (result.employee.name, result.employee.position, result.employee.unit_name) == (
        "Budi Santoso",
        "Pengadministrasi Kependudukan",
        "Seksi Identitas Penduduk",
    )
    assert result.replaced is None and not result.moved
    async with sessions() as session:
        account = await session.scalar(select(TelegramAccount))
        assert account is not None
        assert (account.telegram_user_id, account.language, account.reachable) == (
            BUDI_PHONE,
            "en",
            True,
        )
        used = await session.scalar(
            select(LinkCode.used_at).where(LinkCode.employee_id == roster.budi.id)
        )
        assert used == T0 + timedelta(hours=1)
        card = await accounts.linked_employee(session, BUDI_PHONE)
        assert card is not None and card.nip == roster.budi.nip
        assert await accounts.linked_employee(session, STRANGER) is None
    entry = (await audit(sessions))[-1]
    assert entry.action == accounts.ACTION_LINK
    assert entry.actor == "telegram:" + pseudonym(policy.secret, BUDI_PHONE)[:12]
    assert entry.detail == f"nip={roster.budi.nip}"


async def test_expired_code_links_nothing(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    codes = await issue(sessions, policy)
    last_moment = T0 + timedelta(days=14) - timedelta(seconds=1)
    result = await redeem(sessions, policy, codes[roster.ani.nip].code, ANI_PHONE, last_moment)
    assert result.outcome is Outcome.LINKED
    expired = T0 + timedelta(days=14)
    result = await redeem(sessions, policy, codes[roster.budi.nip].code, BUDI_PHONE, expired)
    assert result.outcome is Outcome.EXPIRED
    assert await linked(sessions) == {ANI_PHONE: roster.ani.nip}
    # A new code after expiry works (and expired codes are not "revoked" by it).
    fresh = await issue(sessions, policy, now=expired)
    result = await redeem(sessions, policy, codes[roster.budi.nip].code, BUDI_PHONE, expired)
    assert result.outcome is Outcome.EXPIRED
    result = await redeem(sessions, policy, fresh[roster.budi.nip].code, BUDI_PHONE, expired)
    assert result.outcome is Outcome.LINKED


async def test_used_code_is_refused_to_anyone_else(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    code = (await issue(sessions, policy))[roster.budi.nip].code
    assert (await redeem(sessions, policy, code, BUDI_PHONE)).outcome is Outcome.LINKED
    result = await redeem(sessions, policy, code, STRANGER)
    assert result.outcome is Outcome.USED and not result.ok
    assert await linked(sessions) == {BUDI_PHONE: roster.budi.nip}


async def test_double_redeem_is_idempotent(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    code = (await issue(sessions, policy))[roster.budi.nip].code
    first = await redeem(sessions, policy, code, BUDI_PHONE)
    again = await redeem(sessions, policy, code, BUDI_PHONE, T0 + timedelta(seconds=1))
    assert (first.outcome, again.outcome) == (Outcome.LINKED, Outcome.ALREADY_LINKED)
    assert again.ok and again.employee == first.employee
    assert await linked(sessions) == {BUDI_PHONE: roster.budi.nip}
    links = [e for e in await audit(sessions) if e.action.startswith("account.")]
    assert len(links) == 1


async def test_unknown_and_malformed_codes_link_nothing(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    await issue(sessions, policy)
    for code in ("AAAAAAAAAAAAAAAA", "", "bad code!", "x" * 200):
        result = await redeem(sessions, policy, code, STRANGER)
        assert result.outcome is Outcome.UNKNOWN and result.employee is None
    assert await linked(sessions) == {}
    async with sessions() as session:
        keys = set(await session.scalars(select(LinkFailure.user_key)))
    assert keys == {pseudonym(policy.secret, STRANGER)}  # never the raw id


async def test_code_of_an_employee_who_left_links_nothing(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    code = (await issue(sessions, policy))[roster.citra.nip].code
    async with sessions.begin() as session:
        citra = await session.get(Employee, roster.citra.id)
        assert citra is not None
        citra.active = False
    result = await redeem(sessions, policy, code, STRANGER)
    assert result.outcome is Outcome.INACTIVE
    assert await linked(sessions) == {}


# -- lock-out -----------------------------------------------------------------------------


async def test_lock_out_after_five_wrong_codes_and_release_after_the_window(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    code = (await issue(sessions, policy))[roster.budi.nip].code
    results = []
    for minute in range(5):
        at = T0 + timedelta(minutes=minute * 10)
        results.append(await redeem(sessions, policy, f"wrong{minute:011d}", BUDI_PHONE, at))
    assert [r.outcome for r in results] == [Outcome.UNKNOWN] * 5
    assert [r.locked_until for r in results[:4]] == [None] * 4
    tripped = T0 + timedelta(minutes=40)
    assert results[4].locked_until == tripped + timedelta(hours=1)

    # Even the right code is refused while locked; it is not used up by that.
    during = await redeem(sessions, policy, code, BUDI_PHONE, tripped + timedelta(minutes=59))
    assert during.outcome is Outcome.LOCKED_OUT
    assert during.locked_until == tripped + timedelta(hours=1)
    assert during.employee is None  # a locked user learns nothing about the code
    assert await linked(sessions) == {}
    # Someone else is not affected.
    other = await redeem(sessions, policy, "wrong", STRANGER, tripped)
    assert other.outcome is Outcome.UNKNOWN and other.locked_until is None

    after = await redeem(sessions, policy, code, BUDI_PHONE, tripped + timedelta(hours=1))
    assert after.outcome is Outcome.LINKED
    async with sessions() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(LinkFailure)
            .where(LinkFailure.user_key == pseudonym(policy.secret, BUDI_PHONE))
        )
    assert left == 0  # a success clears the run of failures


async def test_failures_spread_beyond_the_window_do_not_lock(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    # Five failures, but never five within one hour: 0…59 are four, 20…61 are four.
    for minute in (0, 20, 40, 59, 61):
        result = await redeem(sessions, policy, "wrong", STRANGER, T0 + timedelta(minutes=minute))
        assert result.outcome is Outcome.UNKNOWN and result.locked_until is None, minute
    # 20, 40, 59, 61 and 70 are five within one hour: locked for an hour from 70.
    result = await redeem(sessions, policy, "wrong", STRANGER, T0 + timedelta(minutes=70))
    assert result.locked_until == T0 + timedelta(minutes=130)


async def test_genuine_but_stale_codes_do_not_count_as_failures(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    first = (await issue(sessions, policy))[roster.budi.nip].code
    fresh = (await issue(sessions, policy, nips=[roster.budi.nip]))[roster.budi.nip].code
    for second in range(8):
        result = await redeem(sessions, policy, first, BUDI_PHONE, T0 + timedelta(seconds=second))
        assert result.outcome is Outcome.REVOKED
    assert (await redeem(sessions, policy, fresh, BUDI_PHONE)).outcome is Outcome.LINKED


# -- one account ↔ one employee -----------------------------------------------------------------


async def test_relink_replaces_this_accounts_earlier_employee(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    codes = await issue(sessions, policy)
    await redeem(sessions, policy, codes[roster.ani.nip].code, ANI_PHONE)
    result = await redeem(sessions, policy, codes[roster.budi.nip].code, ANI_PHONE)
    assert result.outcome is Outcome.LINKED and not result.moved
    assert result.replaced is not None and result.replaced.nip == roster.ani.nip
    assert await linked(sessions) == {ANI_PHONE: roster.budi.nip}
    entry = (await audit(sessions))[-1]
    assert entry.action == accounts.ACTION_RELINK
    assert entry.detail == (
        f"nip={roster.budi.nip}; replaces this account's link to nip={roster.ani.nip}"
    )


async def test_new_code_moves_the_link_to_a_new_account(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    first = (await issue(sessions, policy))[roster.ani.nip].code
    await redeem(sessions, policy, first, ANI_PHONE)
    renewed = await issue(sessions, policy, renew=True, now=T0 + timedelta(days=3))
    assert renewed[roster.ani.nip].already_linked
    at = T0 + timedelta(days=3, hours=1)
    result = await redeem(sessions, policy, renewed[roster.ani.nip].code, ANI_NEW_PHONE, at)
    assert result.outcome is Outcome.LINKED and result.moved and result.replaced is None
    assert await linked(sessions) == {ANI_NEW_PHONE: roster.ani.nip}
    # The old phone's code was used; opening it there now says so.
    old = await redeem(sessions, policy, first, ANI_PHONE, at)
    assert old.outcome is Outcome.USED
    entry = (await audit(sessions))[-1]
    assert entry.action == accounts.ACTION_MOVE
    old_actor = "telegram:" + pseudonym(policy.secret, ANI_PHONE)[:12]
    assert entry.detail == f"nip={roster.ani.nip}; moved from {old_actor}"
    assert entry.actor == "telegram:" + pseudonym(policy.secret, ANI_NEW_PHONE)[:12]


async def test_move_and_relink_at_once_keep_one_to_one(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    codes = await issue(sessions, policy)
    await redeem(sessions, policy, codes[roster.ani.nip].code, ANI_PHONE)
    await redeem(sessions, policy, codes[roster.budi.nip].code, BUDI_PHONE)
    # Budi's phone opens a new code for Ani: Ani moves here, Budi's link from it goes.
    renewed = await issue(sessions, policy, renew=True, unit_code="PIAK-KTP")
    assert set(renewed) == {roster.budi.nip}
    ani_again = (await issue(sessions, policy, renew=True, unit_code="PIAK"))[roster.ani.nip]
    result = await redeem(sessions, policy, ani_again.code, BUDI_PHONE)
    assert result.moved and result.replaced is not None
    assert result.replaced.nip == roster.budi.nip
    assert await linked(sessions) == {BUDI_PHONE: roster.ani.nip}
    entry = (await audit(sessions))[-1]
    assert entry.action == accounts.ACTION_MOVE
    assert f"replaces this account's link to nip={roster.budi.nip}" in entry.detail
    async with sessions() as session:
        rows = (
            await session.execute(
                select(TelegramAccount.telegram_user_id, TelegramAccount.employee_id)
            )
        ).all()
    assert len({r[0] for r in rows}) == len({r[1] for r in rows}) == len(rows) == 1


async def test_audit_log_never_holds_raw_telegram_ids(
    sessions: SessionFactory, policy: LinkPolicy, roster: Roster
):
    codes = await issue(sessions, policy)
    await redeem(sessions, policy, codes[roster.ani.nip].code, ANI_PHONE)
    await redeem(sessions, policy, codes[roster.budi.nip].code, ANI_PHONE)
    renewed = await issue(sessions, policy, renew=True)
    await redeem(sessions, policy, renewed[roster.budi.nip].code, ANI_NEW_PHONE)
    await redeem(sessions, policy, "wrong", STRANGER)
    entries = await audit(sessions)
    assert {e.action for e in entries} >= {
        link_codes.ACTION_ISSUE,
        accounts.ACTION_LINK,
        accounts.ACTION_RELINK,
        accounts.ACTION_MOVE,
    }
    text_of_log = " ".join(f"{e.actor} {e.detail}" for e in entries)
    for phone in (ANI_PHONE, ANI_NEW_PHONE, STRANGER):
        assert str(phone) not in text_of_log
