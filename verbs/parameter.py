"""`<Parameter name value>`: a key/value pair passed on by its parent (Stream, Pay, ...)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from verbs.base import Node


class Parameter(Node):
    TAG: ClassVar[str] = "Parameter"

    name: Annotated[str, Field(min_length=1)]
    value: str = ""
