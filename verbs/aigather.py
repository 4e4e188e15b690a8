"""`<AIGather>`: let an AI voice assistant talk with the caller until it has the data a JSON
Schema describes, then post the result. Telnyx-only; it has no TwiML equivalent."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from verbs.base import HttpMethod, Lint, Node, Text, Verb, XmlBool

# The voice name formats TeXML documents for <AIGather><Voice name>.
VOICE_PREFIXES = ("Telnyx.", "ElevenLabs.", "AWS.Polly.", "Polly.")


def _json_object(text: str, element: str) -> dict[str, Any]:
    """`text` parsed as a JSON object, or a ValueError saying what is wrong with it."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"<{element}> must hold a JSON object (wrap it in <![CDATA[...]]>): "
            f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise ValueError(
            f"<{element}> must hold a JSON object ({{...}}), not {type(value).__name__}"
        )
    return value


class Greeting(Node):
    """What the assistant says when gathering starts; empty: nothing is played."""

    TAG: ClassVar[str] = "Greeting"
    TEXT: ClassVar[Text] = Text.OPTIONAL

    text: str | None = None


class Voice(Node):
    """The assistant's voice. Note the snake_case attributes (as TeXML spells them here)."""

    TAG: ClassVar[str] = "Voice"

    name: str = "Telnyx.NaturalHD.Astra"
    api_key_ref: str | None = Field(default=None, alias="api_key_ref")
    voice_speed: Annotated[float, Field(ge=0.1, le=2.0)] = Field(default=1.0, alias="voice_speed")

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if not self.name.startswith(VOICE_PREFIXES):
            out.append(Lint(
                f"voice {self.name!r} is not in a documented format",
                attribute="name",
                hint="use Telnyx.<model>.<voice>, ElevenLabs.<model>.<voice> or AWS.Polly.<voice>",
            ))
        if self.api_key_ref is not None and not self.name.startswith("ElevenLabs."):
            out.append(Lint(
                "api_key_ref is only used by ElevenLabs voices", attribute="api_key_ref",
            ))
        if self.voice_speed != 1.0 and not self.name.startswith("Telnyx."):
            out.append(Lint(
                "voice_speed only applies to Telnyx voices", attribute="voice_speed",
            ))
        return out


class Parameters(Node):
    """The JSON Schema of what to gather (`type`, `properties`, `required`...)."""

    TAG: ClassVar[str] = "Parameters"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: str

    @model_validator(mode="after")
    def _schema(self) -> Parameters:
        _json_object(self.text, "Parameters")
        return self

    @property
    def json_schema(self) -> dict[str, Any]:
        return json.loads(self.text)

    def lint(self) -> list[Lint]:
        if not self.json_schema.get("properties"):
            return [Lint(
                "the schema has no properties: the assistant has nothing to gather",
                hint='describe each value, e.g. {"type": "object", "properties": {"name": '
                '{"type": "string", "description": "the caller\'s name"}}}',
            )]
        return []


class Message(Node):
    """One turn of prior conversation."""

    TAG: ClassVar[str] = "Message"
    TEXT: ClassVar[Text] = Text.REQUIRED

    role: Literal["user", "assistant"]

    text: str


class MessageHistory(Node):
    TAG: ClassVar[str] = "MessageHistory"
    CHILDREN: ClassVar = {"Message": Message}

    children: tuple[Message, ...] = ()


# The tool kinds the Voice API's gather_using_ai takes (each with its settings under its name).
TOOL_TYPES = ("hangup", "transfer", "webhook", "book_appointment", "check_availability", "retrieval")


class Tool(Node):
    """A tool definition (JSON), as in the Voice API's gather-using-AI command."""

    TAG: ClassVar[str] = "Tool"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: str

    @model_validator(mode="after")
    def _definition(self) -> Tool:
        definition = _json_object(self.text, "Tool")
        kind = definition.get("type")
        if kind not in TOOL_TYPES:
            raise ValueError(
                f'<Tool> needs a "type" of {", ".join(TOOL_TYPES)}, as the Voice API\'s '
                'gather-using-AI tools: e.g. {"type": "hangup", "hangup": {"description": '
                '"end the call when the caller is done"}}'
            )
        if not isinstance(definition.get(kind), dict | str | list):
            raise ValueError(f'a "{kind}" tool needs its settings under "{kind}"')
        return self

    @property
    def definition(self) -> dict[str, Any]:
        return json.loads(self.text)


class Tools(Node):
    TAG: ClassVar[str] = "Tools"
    CHILDREN: ClassVar = {"Tool": Tool}

    children: tuple[Tool, ...] = ()


class InterruptionSettings(Node):
    """In the official example only; semantics not documented."""

    TAG: ClassVar[str] = "InterruptionSettings"

    enable: XmlBool | None = None


# Speech models the Voice API's gather_using_ai accepts (`transcription.model`).
AI_TRANSCRIPTION_MODELS = (
    "deepgram/flux", "flux", "deepgram/nova-3", "deepgram/nova-2", "speechmatics/standard",
    "speechmatics/enhanced", "speechmatics/linden-1", "assemblyai/universal-3-5-pro",
    "assemblyai/universal-streaming", "xai/grok-stt", "soniox/stt-rt-v4", "nvidia/parakeet-v3",
    "omi-health/omi-med-stt-v1", "humain/realtime", "reson8/turns", "cohere/ar-stt", "azure/fast",
    "azure/realtime", "google/latest_long", "distil-whisper/distil-large-v2",
    "openai/whisper-large-v3-turbo",
)  # fmt: skip


class AIGatherTranscription(Node):
    """`<Transcription model>` inside `<AIGather>` (not the `<Start><Transcription>` noun)."""

    TAG: ClassVar[str] = "Transcription"

    model: str | None = None

    def lint(self) -> list[Lint]:
        if self.model is not None and self.model not in AI_TRANSCRIPTION_MODELS:
            return [Lint(
                f"the Voice API has no speech model {self.model!r}; texml leaves it out and the "
                "default model is used",
                attribute="model",
                hint="one of: " + ", ".join(AI_TRANSCRIPTION_MODELS),
            )]
        return []


class Assistant(Node):
    """In the official example only, wrapping `<Tools>`; semantics not documented."""

    TAG: ClassVar[str] = "Assistant"
    CHILDREN: ClassVar = {"Tools": Tools}

    model: str | None = None
    api_key_ref: str | None = Field(default=None, alias="api_key_ref")
    instructions: str | None = None

    children: tuple[Tools, ...] = ()

    @model_validator(mode="after")
    def _one_tools(self) -> Assistant:
        if len(self.children) > 1:
            raise ValueError("<Assistant> takes at most one <Tools>; put every <Tool> in it")
        return self


AIGatherChild = (
    Greeting | Voice | Parameters | MessageHistory | Tools | InterruptionSettings
    | AIGatherTranscription | Assistant
)  # fmt: skip


class AIGather(Verb):
    TAG: ClassVar[str] = "AIGather"
    CHILDREN: ClassVar = {
        "Greeting": Greeting,
        "Voice": Voice,
        "Parameters": Parameters,
        "MessageHistory": MessageHistory,
        "Tools": Tools,
        "InterruptionSettings": InterruptionSettings,
        "Transcription": AIGatherTranscription,
        "Assistant": Assistant,
    }

    action: str | None = None
    method: HttpMethod = "POST"

    children: tuple[AIGatherChild, ...] = ()

    @model_validator(mode="after")
    def _children(self) -> AIGather:
        counts = Counter(child.TAG for child in self.children)
        if not counts["Parameters"]:
            raise ValueError(
                "<AIGather> needs a <Parameters> child: the JSON Schema of what to gather, e.g. "
                '<Parameters><![CDATA[{"type": "object", "properties": {...}}]]></Parameters>'
            )
        repeated = sorted(tag for tag, n in counts.items() if n > 1)
        if repeated:
            raise ValueError(
                "<AIGather> takes at most one of each child; repeated: "
                + ", ".join(f"<{tag}>" for tag in repeated)
            )
        return self

    @property
    def parameters(self) -> Parameters:
        return next(c for c in self.children if isinstance(c, Parameters))

    def lint(self) -> list[Lint]:
        if self.action is None:
            return [Lint(
                "<AIGather> has no action: the gathered result is not sent anywhere",
                attribute="action",
                hint="set action to the URL that receives Base64Result and returns the next TeXML",
            )]
        return []
