"""What the bot writes on its own initiative, one module per feature: texts and their buttons.

Each module turns data (a response, a cycle, a team's figures) into the text of
one kind of outbound message in the recipient's language, through the gettext
catalogs, within Telegram's limits. Nothing here reads the database or queues
anything: the use cases and jobs do, and call these. This file imports nothing.
"""
