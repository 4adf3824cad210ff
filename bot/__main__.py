"""``python -m bot`` does what ``ulasan run`` does."""

import sys

from bot.cli.main import cli, register_commands

if __name__ == "__main__":
    register_commands()
    cli(["run", *sys.argv[1:]], prog_name="python -m bot")
