"""The follow-up plan's state diagram (handlers/rtl.mmd) names exactly the flows' steps."""

from __future__ import annotations

from handlers import rtl, rtl_tasks, rtl_verify
from tests.test_state_diagrams import assert_connected, read, states


def test_rtl_diagram_names_every_step():
    diagram = read("rtl.mmd")
    found = states(diagram)
    expected = [*rtl.STEPS, rtl_verify.STEP_RETURN_NOTE, *rtl_tasks.STEPS]
    assert sorted(found.values()) == sorted(expected)
    assert_connected(diagram, set(found))
