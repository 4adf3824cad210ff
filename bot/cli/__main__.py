"""``python -m bot.cli …`` is the ``ulasan`` command."""

from bot.cli.main import main

if __name__ == "__main__":
    main()
