"""The texts an office may change in its SKM report, and the Jinja environment of the documents.

The report's introduction (background, aims), method, conclusion and legal
basis are template files: the package ships defaults in
``scheduler/documents/templates/laporan_*.txt``, and a file of the same name in
the home's ``templates/`` folder (`Settings.templates_dir`) replaces one without
touching code. A text is a Jinja template rendered in a sandbox with the
edition's values (``unit_name``, ``period_name``, ``respondents``,
``ikm_konversi``, ``mutu``, ``mutu_label``, ``weakest``, ``strongest``, …);
paragraphs are separated by a blank line. The legal basis is data: one item
a line, ``#`` lines ignored. A broken override is one line naming the file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

TEXTS = ("latar_belakang", "dasar_hukum", "tujuan", "metode", "kesimpulan")
PREFIX = "laporan_"


class TemplateTextError(ValueError):
    """A report text cannot be used; one line naming the file."""


def packaged(name: str) -> str:
    return resources.files("scheduler.documents").joinpath("templates", name).read_text("utf-8")


def environment() -> Environment:
    """The documents' own templates (HTML and CSS shipped with the package)."""
    from jinja2 import PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("scheduler.documents", "templates"),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def source(name: str, home_templates: Path | None) -> tuple[str, str]:
    """(text, where it came from) of ``laporan_<name>.txt``: the home's file if present."""
    file_name = f"{PREFIX}{name}.txt"
    if home_templates is not None:
        override = home_templates / file_name
        if override.is_file():
            try:
                return override.read_text("utf-8"), str(override)
            except (OSError, UnicodeDecodeError) as exc:
                raise TemplateTextError(f"{override}: cannot be read ({exc})") from None
    return packaged(file_name), file_name


def paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, each on one line."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def render_text(name: str, values: dict[str, Any], home_templates: Path | None) -> list[str]:
    """The paragraphs of one report text with ``values`` filled in."""
    text, origin = source(name, home_templates)
    try:
        rendered = SandboxedEnvironment(undefined=StrictUndefined).from_string(text).render(values)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{origin}, line {line}" if line else origin
        raise TemplateTextError(f"{where}: {exc}") from None
    return paragraphs(rendered)


def legal_basis(home_templates: Path | None) -> list[str]:
    """One legal basis a line (``#`` lines and blank lines ignored)."""
    text, _origin = source("dasar_hukum", home_templates)
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]
