"""Account linking (filled in by the linking feature)."""

from telegram.ext import BaseHandler

HANDLERS: list[BaseHandler] = []
