"""Test support: the fake Bot API, a running bot, seeded worlds and fault helpers.

Shared by the tests (``tests/conftest.py`` holds only the fixtures) and the
benchmarks in ``bench/``. Import the modules themselves; this file imports nothing.
"""
