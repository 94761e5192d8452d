"""The one writer of generated blocks in the project's markdown docs.

A generated block sits between `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`;
everything outside the blocks is written by hand. The report (numbers from the warehouse) and the
simulator (its defaults) render the blocks' text; this module puts that text in place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: ([\w-]+) -->\n)(.*?)(<!-- END GENERATED: \2 -->)", re.DOTALL
)


def block_names(document: str) -> set[str]:
    """Names of the generated blocks the document holds."""
    return {match.group(2) for match in BLOCK.finditer(document)}


def missing_blocks(document: str, blocks: Mapping[str, str]) -> list[str]:
    """Block names the document should hold but does not."""
    return sorted(set(blocks) - block_names(document))


def apply_blocks(document: str, blocks: Mapping[str, str]) -> str:
    """The document with each generated block replaced by its rendering (unknown blocks kept)."""
    return BLOCK.sub(
        lambda m: m.group(1) + blocks.get(m.group(2), m.group(3)) + m.group(4), document
    )


def update_file(path: Path, blocks: Mapping[str, str], write: bool = True) -> bool:
    """Puts the blocks into the file at `path` (only when `write`); returns whether its text
    changes. A block the file lacks is an error: a rendering must never be dropped unseen."""
    current = path.read_text(encoding="utf-8")
    missing = missing_blocks(current, blocks)
    if missing:
        raise ValueError(f"{path} lacks the generated blocks {', '.join(missing)}")
    updated = apply_blocks(current, blocks)
    if write and updated != current:
        path.write_text(updated, encoding="utf-8")
    return updated != current
