"""Diagnostics: what the checker tells the user, where, and what to do about it."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Code(str, enum.Enum):
    """Stable diagnostic codes. Their spelling is a public interface: never rename one."""

    # The bytes are not a document we will read.
    TOO_LARGE = "too-large"
    DTD_FORBIDDEN = "dtd-forbidden"
    NOT_WELL_FORMED = "not-well-formed"
    BAD_ROOT = "bad-root"
    # Elements.
    UNKNOWN_ELEMENT = "unknown-element"
    TWIML_ONLY_ELEMENT = "twiml-only-element"
    MISPLACED_ELEMENT = "misplaced-element"
    UNDOCUMENTED_NESTING = "undocumented-nesting"
    INVALID_ELEMENT = "invalid-element"
    # Attributes and text.
    MISSING_ATTRIBUTE = "missing-attribute"
    MISSING_TEXT = "missing-text"
    INVALID_VALUE = "invalid-value"
    UNKNOWN_ATTRIBUTE = "unknown-attribute"
    TWIML_ONLY_ATTRIBUTE = "twiml-only-attribute"
    UNEXPECTED_TEXT = "unexpected-text"
    SSML = "ssml-in-say"
    # Valid, but probably not what was meant.
    SUSPICIOUS = "suspicious"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str | None
    line: int
    column: int
    severity: Severity
    code: Code
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["code"] = self.code.value
        return out

    def __str__(self) -> str:
        where = f"{self.file or '<string>'}:{self.line}:{self.column}"
        text = f"{where}: {self.severity.value}[{self.code.value}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
