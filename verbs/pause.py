"""`<Pause>`: wait silently."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from verbs.base import Verb


class Pause(Verb):
    TAG: ClassVar[str] = "Pause"

    length: Annotated[int, Field(ge=1, le=180)] = 1
