"""The ``ulasan`` command line: one module per command, named after it.

``main.py`` holds the root group and registers every command; ``common.py`` the
helpers they share. This file imports nothing, so importing one command module
does not pull in the others.
"""
