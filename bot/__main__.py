"""``python -m bot`` does what ``ulasan run`` does."""

from bot.cli import cli, register_commands

if __name__ == "__main__":
    register_commands()
    cli(["run", *__import__("sys").argv[1:]], prog_name="python -m bot")
