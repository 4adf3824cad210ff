"""Citizen survey conversation (filled in by the citizen survey feature)."""

from telegram.ext import BaseHandler

HANDLERS: list[BaseHandler] = []
