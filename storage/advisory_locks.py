"""PostgreSQL session-level advisory locks, held on a connection of their own.

A lock taken with ``pg_try_advisory_lock`` stays held until it is unlocked or its
connection ends — also when the process holding it is killed: the server
releases it as soon as the connection drops. That is what lets another webhook
worker take over a chat or the leader's work within seconds
(``bot/webhook_inbox.py``, ``scheduler/leadership.py``).

Keys are two 32-bit integers: a namespace per use and a key within it. A chat id
(64 bits) is folded into 32 bits; two chats that fold alike are merely serialised
together, which is harmless.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Namespaces (the first key): "UlCh" and "UlLd" as ASCII, unlikely to meet another app's.
CHAT_NAMESPACE = 0x556C4368
LEADER_NAMESPACE = 0x556C4C64


def fold(value: int) -> int:
    """A 64-bit id as a signed 32-bit key."""
    folded = (value ^ (value >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


async def try_lock(connection: AsyncConnection, namespace: int, key: int) -> bool:
    """Take the lock now or return False; the connection's transaction is committed."""
    taken = await connection.scalar(
        text("SELECT pg_try_advisory_lock(:namespace, :key)"),
        {"namespace": namespace, "key": key},
    )
    await connection.commit()  # a session-level lock outlives the transaction
    return bool(taken)


async def unlock(connection: AsyncConnection, namespace: int, key: int) -> bool:
    released = await connection.scalar(
        text("SELECT pg_advisory_unlock(:namespace, :key)"),
        {"namespace": namespace, "key": key},
    )
    await connection.commit()
    return bool(released)


async def alive(connection: AsyncConnection) -> bool:
    """The connection still answers (and so still holds its locks)."""
    await connection.scalar(text("SELECT 1"))
    await connection.commit()
    return True
