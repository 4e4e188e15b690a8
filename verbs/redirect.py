"""`<Redirect>`: continue the call with the TeXML document at another URL."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from verbs.base import HttpMethod, Text, Verb


class Redirect(Verb):
    TAG: ClassVar[str] = "Redirect"
    TEXT: ClassVar[Text] = Text.REQUIRED

    method: HttpMethod = "POST"

    # The URL of the next document (relative URLs resolve against the current document).
    text: Annotated[str, Field(min_length=1)]
