"""Each conversation's state diagram (Mermaid, beside its module) names exactly its steps.

The diagrams follow python-telegram-bot's ``examples/conversationbot.mmd``: a
flowchart whose round nodes of class ``state`` are the conversation's states,
labelled with the step as the code names it. Rendering is not needed; this
test only parses the text, so it fails when a step is added, removed or
renamed in the code without the diagram (or the other way round).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers import (
    achievements,
    calibration,
    consultation,
    cycle_opening,
    expectations,
    feedback,
    notes,
    predikat_mix,
)
from scheduler import development_flow
from scheduler.scoring.shipped_instruments import INSTRUMENTS
from storage import review_steps, survey
from storage.review_models import PEER, SELF, SUBORDINATE, SUPERVISOR

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"

# The review's diagram draws every item of an instrument as this one state.
REVIEW_ITEM = "item"

# ID((label)):::state — a state node where it is first drawn.
_STATE = re.compile(r"\b(?P<id>\w+)\(\((?P<label>[^()]+)\)\):::state\b")
_EDGE = re.compile(r"-->")


def states(diagram: str) -> dict[str, str]:
    """Node id → label of every state node in a Mermaid flowchart."""
    found: dict[str, str] = {}
    for match in _STATE.finditer(diagram):
        label = match["label"].strip().strip('"')
        if found.setdefault(match["id"], label) != label:
            raise AssertionError(f"state {match['id']} drawn with two labels")
    return found


def read(name: str) -> str:
    text = (HANDLERS / name).read_text(encoding="utf-8")
    assert text.startswith("flowchart"), f"{name} is not a Mermaid flowchart"
    return text


def assert_connected(diagram: str, node_ids: set[str]) -> None:
    """Every state has an edge in or out (a state nobody reaches is a drawing error)."""
    lines = [line for line in diagram.splitlines() if _EDGE.search(line)]
    lonely = {
        node for node in node_ids if not any(re.search(rf"\b{node}\b", line) for line in lines)
    }
    assert lonely == set(), f"states without an edge: {sorted(lonely)}"


def test_the_parser_reads_ptb_style_diagrams():
    diagram = (
        "flowchart TB\n"
        '    A(("/start")):::entryPoint -->|Hi| B((GENDER)):::state\n'
        '    B --> |"Boy"|C("(choice)"):::userInput\n'
        "    C --> D((PHOTO)):::state\n"
    )
    assert states(diagram) == {"B": "GENDER", "D": "PHOTO"}


def test_citizen_survey_diagram_names_every_stored_step():
    diagram = read("citizen.mmd")
    found = states(diagram)
    assert sorted(found.values()) == sorted(survey.STEPS)
    assert_connected(diagram, set(found))


def steps_of_a_review() -> set[str]:
    """Every step a review can store, for every instrument and relation, items as one."""
    return {
        REVIEW_ITEM if step in instrument.item_codes else step
        for instrument in INSTRUMENTS.values()
        for relation in (SELF, SUPERVISOR, PEER, SUBORDINATE)
        for step in review_steps.steps_for(instrument, relation)
    }


def test_review_diagram_names_every_step():
    diagram = read("review.mmd")
    found = states(diagram)
    assert sorted(found.values()) == sorted(steps_of_a_review())
    assert_connected(diagram, set(found))


def test_cycle_opening_diagram_names_every_step():
    diagram = read("cycle_opening.mmd")
    found = states(diagram)
    assert sorted(found.values()) == sorted(cycle_opening.STEPS)
    assert_connected(diagram, set(found))


def test_development_plan_diagram_names_every_step():
    diagram = read("development.mmd")
    found = states(diagram)
    assert sorted(found.values()) == sorted(development_flow.STEPS)
    assert_connected(diagram, set(found))


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("notes.mmd", (*notes.STEPS, *expectations.STEPS)),
        ("feedback.mmd", feedback.STEPS),
        ("achievements.mmd", achievements.STEPS),
        ("calibration.mmd", calibration.STEPS),
        ("consultation.mmd", consultation.STEPS),
        ("predikat_mix.mmd", predikat_mix.STEPS),
    ],
)
def test_performance_diagrams_name_every_step(name: str, steps: tuple[str, ...]):
    """/catat, /ekspektasi and its answer; the feedback card and its dialogue; /capaian."""
    diagram = read(name)
    found = states(diagram)
    assert sorted(found.values()) == sorted(steps)
    assert_connected(diagram, set(found))


@pytest.mark.parametrize(
    "name",
    [
        "citizen.mmd",
        "review.mmd",
        "cycle_opening.mmd",
        "development.mmd",
        "notes.mmd",
        "feedback.mmd",
        "achievements.mmd",
        "calibration.mmd",
        "consultation.mmd",
        "predikat_mix.mmd",
    ],
)
def test_diagrams_sit_beside_their_module(name: str):
    assert (HANDLERS / name).with_suffix(".py").is_file()
