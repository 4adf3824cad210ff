"""Every handler of the bot, registered in one place and in order.

Group 0 holds the features' handlers (the first match wins), with the
payload-specific ``/start`` handlers before the plain one and the replies of
last resort at the very end.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import account, citizen, common


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    ordered = [
        *account.HANDLERS,
        *citizen.HANDLERS,
        *common.HANDLERS,
        *common.FALLBACKS,
    ]
    application.add_handlers(ordered, group=0)
    application.add_error_handler(common.error_handler)
