"""Markdown text helpers shared by the renderers: safe table cells and code spans."""

from __future__ import annotations


def cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def code(text: str) -> str:
    """An inline code span that survives backticks in the text (CommonMark §6.1)."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
