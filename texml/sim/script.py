"""What the people on the other end do: the caller's script and the dialled numbers' outcomes.

A scenario is data, written on the command line (`texml run --input 1 --dial +1555=busy`), in
a scenario file, or in `POST /sim/calls`. This module only parses and holds it; when an item
is acted on is the caller model's business (`texml.sim.caller`).

Input items, used in order by whatever listens on the call:

| item | what the caller does |
|---|---|
| `1`, `42#`, `*` | presses these keys (`0-9`, `*`, `#`, `A-D`), a quarter of a second apart |
| `speech:TEXT` | says TEXT (about 2.5 words a second) |
| `talk:SECONDS` | talks for that long without saying anything recognisable (into a `<Record>`) |
| `silence` | does nothing until what is listening gives up |
| `hangup` | hangs up |

Dial outcomes: `answered`, `busy`, `no-answer`, `failed`, `machine`; a table maps numbers (or
`*`, any number) to outcomes, and a number not in it answers.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

InputKind = Literal["digits", "speech", "talk", "silence", "hangup"]
OutcomeKind = Literal["answered", "busy", "no-answer", "failed", "machine"]

DTMF_KEYS = frozenset("0123456789*#ABCD")
OUTCOMES: tuple[OutcomeKind, ...] = ("answered", "busy", "no-answer", "failed", "machine")
# How long an answered callee stays before hanging up, unless the scenario says otherwise. A
# machine takes longer: its greeting, the beep, then the message it records.
DEFAULT_STAY_SECONDS: dict[str, float] = {"answered": 10.0, "machine": 60.0}
DEFAULT_RING_SECONDS = 3.0  # how long an outbound leg rings before it answers (or is busy)
MAX_TALK_SECONDS = 4 * 3600.0  # Telnyx's longest call
_LONGEST_ITEM = 10_000  # characters in one item: a scenario is written by hand

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"


@dataclass(frozen=True)
class InputItem:
    """One thing the caller does. `value` is the keys, the words or the seconds."""

    kind: InputKind
    value: str | float | None = None

    def __str__(self) -> str:
        """The item as it is written (`parse_input_item(str(item)) == item`)."""
        if self.kind == "digits":
            return str(self.value)
        if self.kind == "speech":
            return f"speech:{self.value}"
        if self.kind == "talk":
            return f"talk:{_seconds_text(float(self.value or 0))}"
        return self.kind


def parse_input_item(text: str | InputItem) -> InputItem:
    """Read one input item; raise ValueError saying what is wrong and how to write it."""
    if isinstance(text, InputItem):
        return text
    if not isinstance(text, str):
        raise ValueError(f"input item {text!r}: write it as text, e.g. '1' or 'speech:yes'")
    raw = text.strip()
    if not raw:
        raise ValueError("empty input item: write digits (1, 42#), speech:TEXT, talk:SECONDS, "
                         "silence or hangup")  # fmt: skip
    if len(raw) > _LONGEST_ITEM:
        raise ValueError(f"input item is {len(raw)} characters long; at most {_LONGEST_ITEM}")
    lowered = raw.lower()
    if lowered in ("silence", "hangup"):
        return InputItem(lowered)  # type: ignore[arg-type]
    head, sep, rest = raw.partition(":")
    if sep:
        kind = head.strip().lower()
        if kind == "speech":
            words = " ".join(rest.split())
            if not words:
                raise ValueError(f"input item {raw!r}: speech needs words after 'speech:', "
                                 "e.g. speech:sales")  # fmt: skip
            return InputItem("speech", words)
        if kind == "talk":
            seconds = rest.strip().lower().removesuffix("s")
            if not re.fullmatch(_NUMBER, seconds) or not 0 < float(seconds) <= MAX_TALK_SECONDS:
                raise ValueError(f"input item {raw!r}: talk needs a number of seconds above 0 "
                                 f"and at most {MAX_TALK_SECONDS:g}, e.g. talk:5")  # fmt: skip
            return InputItem("talk", float(seconds))
        if kind in ("digits", "dtmf"):
            raw = rest.strip()
        else:
            raise ValueError(f"input item {raw!r}: unknown kind {head!r}; the kinds are digits "
                             "(1, 42#), speech:TEXT, talk:SECONDS, silence and hangup")  # fmt: skip
    keys = raw.replace(" ", "").upper()
    bad = sorted({c for c in keys if c not in DTMF_KEYS})
    if not keys or bad:
        shown = ", ".join(repr(c) for c in bad) or "nothing"
        raise ValueError(f"input item {text!r}: {shown} cannot be pressed on a phone; digits are "
                         "0-9, *, # and A-D (or write speech:TEXT, talk:SECONDS, silence, "
                         "hangup)")  # fmt: skip
    return InputItem("digits", keys)


class CallerScript:
    """The items one person will act on, in order. Accepts items or their text."""

    def __init__(self, items: Iterable[str | InputItem] = ()) -> None:
        self._items: deque[InputItem] = deque(parse_input_item(i) for i in items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"CallerScript({[str(i) for i in self._items]!r})"

    def peek(self) -> InputItem | None:
        """The next item, still in the script."""
        return self._items[0] if self._items else None

    def pop(self) -> InputItem | None:
        """Take the next item (None once the script is over: the person stays silent)."""
        return self._items.popleft() if self._items else None

    @property
    def remaining(self) -> list[InputItem]:
        return list(self._items)


@dataclass(frozen=True)
class DialOutcome:
    """How a dialled number answers.

    - `answered`: rings `ring_secs`, answers, stays `hangup_after` seconds (default 10), hangs up.
    - `machine`: answers like `answered` (default stay 60 s); answering machine detection, when
      the dial asked for it, reports a machine and then the beep.
    - `busy`: rings `ring_secs`, then busy (SIP 486). `failed`: refused at once (SIP 404).
    - `no-answer`: rings until the dial's `timeout_secs` (Telnyx's default 30 s).
    `inputs` is the callee's own script (e.g. a digit to accept a whisper). `hangup_after` None
    means the default for the kind; `math.inf` means the callee never hangs up by itself.
    """

    kind: OutcomeKind = "answered"
    hangup_after: float | None = None
    inputs: tuple[InputItem, ...] = field(default_factory=tuple)
    ring_secs: float = DEFAULT_RING_SECONDS

    def __post_init__(self) -> None:
        if self.kind not in OUTCOMES:
            raise ValueError(f"dial outcome {self.kind!r}: use one of {', '.join(OUTCOMES)}")
        if self.hangup_after is not None and not self.hangup_after >= 0:
            raise ValueError(f"hangup_after {self.hangup_after!r}: seconds, 0 or more")
        if not 0 <= self.ring_secs <= 600:
            raise ValueError(f"ring_secs {self.ring_secs!r}: seconds between 0 and 600")
        # Accept a list of strings for convenience; store parsed, immutable items.
        object.__setattr__(self, "inputs", tuple(parse_input_item(i) for i in self.inputs))

    @property
    def stays_for(self) -> float:
        """Seconds between answering and hanging up (inf: never by itself)."""
        if self.hangup_after is not None:
            return self.hangup_after
        return DEFAULT_STAY_SECONDS.get(self.kind, DEFAULT_STAY_SECONDS["answered"])

    def describe(self) -> str:
        """A short text for traces: `answered`, `answered (stays 30 s)`, ..."""
        if self.kind in ("answered", "machine") and self.hangup_after is not None:
            stay = "never hangs up" if math.isinf(self.hangup_after) else \
                f"stays {_seconds_text(self.hangup_after)} s"  # fmt: skip
            return f"{self.kind} ({stay})"
        return self.kind


def parse_dial_outcome(value: str | Mapping[str, Any] | DialOutcome) -> DialOutcome:
    """Read a dial outcome: `busy`, `answered:30` (stays 30 s), `answered:never`, or a table
    `{"outcome": "answered", "hangup_after": 30, "inputs": ["1"], "ring": 2}`."""
    if isinstance(value, DialOutcome):
        return value
    if isinstance(value, Mapping):
        return _outcome_from_table(value)
    if not isinstance(value, str):
        raise ValueError(f"dial outcome {value!r}: write it as text (busy) or a table")
    kind, sep, stay = value.strip().partition(":")
    kind = kind.strip().lower().replace("_", "-")
    if kind not in OUTCOMES:
        raise ValueError(f"dial outcome {value!r}: use one of {', '.join(OUTCOMES)} "
                         "(answered and machine take :SECONDS or :never, how long they stay)")  # fmt: skip
    if not sep:
        return DialOutcome(kind)  # type: ignore[arg-type]
    if kind not in ("answered", "machine"):
        raise ValueError(f"dial outcome {value!r}: only answered and machine take :SECONDS")
    return DialOutcome(kind, hangup_after=_stay(stay.strip(), value))  # type: ignore[arg-type]


def _outcome_from_table(table: Mapping[str, Any]) -> DialOutcome:
    known = {"outcome", "kind", "hangup_after", "inputs", "ring", "ring_secs"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"dial outcome table: unknown key(s) {', '.join(unknown)}; the keys are "
                         "outcome, hangup_after, inputs and ring")  # fmt: skip
    kind = str(table.get("outcome", table.get("kind", "answered"))).strip().lower()
    if kind not in OUTCOMES:
        raise ValueError(f"dial outcome {kind!r}: use one of {', '.join(OUTCOMES)}")
    stay = table.get("hangup_after")
    hangup_after = None if stay is None else _stay(str(stay), stay)
    inputs = table.get("inputs", ())
    if isinstance(inputs, str) or not isinstance(inputs, Iterable):
        raise ValueError("dial outcome table: inputs must be a list of input items")
    ring = table.get("ring", table.get("ring_secs", DEFAULT_RING_SECONDS))
    if isinstance(ring, bool) or not isinstance(ring, (int, float)):
        raise ValueError(f"dial outcome table: ring {ring!r} must be a number of seconds")
    items = tuple(parse_input_item(i) for i in inputs)
    return DialOutcome(kind, hangup_after, items, float(ring))  # type: ignore[arg-type]


def _stay(text: str, original: Any) -> float:
    if text.lower() in ("never", "inf", "infinity"):
        return math.inf
    seconds = text.lower().removesuffix("s")
    if not re.fullmatch(_NUMBER, seconds):
        raise ValueError(f"dial outcome {original!r}: how long the callee stays must be seconds "
                         "or never, e.g. answered:30")  # fmt: skip
    return float(seconds)


def outcome_for(plan: Mapping[str, DialOutcome], number: str) -> DialOutcome:
    """The outcome of dialling `number`: its own entry, else `*`, else answered.

    Numbers match as written and also without spaces, dashes, dots and parentheses, and a SIP
    URI matches by itself or by its user part (`sip:alice@example.com` matches `alice`)."""
    for key in _number_keys(number):
        for pattern, outcome in plan.items():
            if key in _number_keys(pattern):
                return outcome
    return plan.get("*", DialOutcome("answered"))


def _number_keys(number: str) -> set[str]:
    text = number.strip()
    keys = {text, re.sub(r"[\s\-.()]", "", text)}
    if text.lower().startswith(("sip:", "sips:")):
        user = text.split(":", 1)[1].split("@", 1)[0]
        keys.add(user)
    return {k for k in keys if k}


def _seconds_text(seconds: float) -> str:
    return f"{seconds:g}"


__all__ = [
    "CallerScript", "DialOutcome", "InputItem", "outcome_for", "parse_dial_outcome",
    "parse_input_item",
]  # fmt: skip
