"""Environment variables set for the length of a block and restored after it (for dbt run inside
this process, and for process pools whose workers inherit the environment)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def environment_set(values: Mapping[str, str]) -> Iterator[None]:
    """Sets `values` in os.environ inside the block; afterwards each variable has its earlier
    value again, or is unset if it was unset."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
