"""The base of every TeXML verb and noun model.

A node is a frozen pydantic model. Its XML attributes are the model's fields, spelled in Python
as snake_case and in XML as TeXML spells them (the field alias). A few class-level tables say how
the node sits in a document: its tag, which children it may hold, whether it carries text, and
which TwiML attribute spellings it recognises. The parser, the serialiser and the compiler read
those tables; nothing else about a node is special.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from lxml import etree
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Text(enum.Enum):
    """Whether an element carries text content."""

    NONE = "none"  # no text; stray text is reported
    OPTIONAL = "optional"
    REQUIRED = "required"


class TwimlAttr(typing.NamedTuple):
    """A TwiML attribute spelling that TeXML does not have.

    `maps_to` names the field texml fills from it (so a ported document keeps working), or is
    None when texml ignores it. `hint` says what to write instead.
    """

    hint: str
    maps_to: str | None = None


# Fields every node has that are not XML attributes.
STRUCTURAL_FIELDS = frozenset({"line", "column", "children", "text", "ssml"})


def _xml_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise ValueError("must be true or false")
    return value


def _split_spaces(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(value.split())
    return value


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


XmlBool = Annotated[bool, BeforeValidator(_xml_bool)]
"""A boolean written `true` or `false` (any case)."""

HttpMethod = Annotated[Literal["GET", "POST"], BeforeValidator(_upper)]
"""`GET` or `POST`; lower case is accepted, as the platform does."""


def space_list(item: Any) -> Any:
    """A space-separated list attribute, e.g. `statusCallbackEvent="initiated answered"`."""
    return Annotated[tuple[item, ...], BeforeValidator(_split_spaces), _ListStyle(" ")]


def comma_list(item: Any = str) -> Any:
    """A comma-separated list attribute, e.g. `hints="sales, support"`."""
    return Annotated[tuple[item, ...], BeforeValidator(_split_commas), _ListStyle(",")]


def any_case(*members: str) -> Any:
    """An enumeration matched case-insensitively and stored in its canonical spelling."""
    canonical = {m.lower(): m for m in members}

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            return canonical.get(value.strip().lower(), value)
        return value

    return Annotated[Literal[members], BeforeValidator(normalise)]  # type: ignore[valid-type]


class _ListStyle(typing.NamedTuple):
    separator: str


def _list_separator(annotation: Any, metadata: list[Any]) -> str | None:
    """The separator of a list attribute, also when it is wrapped in Optional."""
    for meta in metadata:
        if isinstance(meta, _ListStyle):
            return meta.separator
    if typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        return _list_separator(args[0], list(args[1:]))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arm in typing.get_args(annotation):
            found = _list_separator(arm, [])
            if found is not None:
                return found
    return None


def _format_scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


class _AttrSpec(typing.NamedTuple):
    field: str  # python name
    alias: str  # XML spelling
    separator: str | None  # for list attributes


class Node(BaseModel):
    """A TeXML element: a verb or a noun."""

    model_config = ConfigDict(
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        extra="forbid",
        # Children are already-validated nodes: check their type, do not rebuild them.
        revalidate_instances="never",
    )

    TAG: ClassVar[str]
    TEXT: ClassVar[Text] = Text.NONE
    # Tag -> model of the children this element may hold. Filled in by each module.
    CHILDREN: ClassVar[Mapping[str, type[Node]]] = {}
    # Tags that are valid TeXML elsewhere but only tolerated here, with the reason (a warning).
    TOLERATED_CHILDREN: ClassVar[Mapping[str, str]] = {}
    # TwiML spellings of attributes this element does not have in TeXML.
    TWIML_ATTRS: ClassVar[Mapping[str, TwimlAttr]] = {}
    # Derived at class creation: XML spelling -> attribute spec, in declaration order.
    XML_ATTRS: ClassVar[Mapping[str, _AttrSpec]] = {}
    # Whether this node is a verb that may stand at the top of a document.
    IS_VERB: ClassVar[bool] = False

    # Where the element starts in its source (1-based); 0 when built in code. Not compared.
    line: int = Field(default=0, exclude=True, repr=False, alias="line")
    column: int = Field(default=0, exclude=True, repr=False, alias="column")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        specs: dict[str, _AttrSpec] = {}
        for name, info in cls.model_fields.items():
            if name in STRUCTURAL_FIELDS:
                continue
            alias = info.alias or name
            separator = _list_separator(info.annotation, info.metadata)
            specs[alias] = _AttrSpec(name, alias, separator)
        cls.XML_ATTRS = specs
        cls._compared = tuple(n for n in cls.model_fields if n not in ("line", "column"))

    _compared: ClassVar[tuple[str, ...]] = ()

    # Equality ignores where a node came from: the same verb parsed from two places is equal.
    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._compared)

    def __hash__(self) -> int:
        return hash((type(self), *(getattr(self, n) for n in self._compared)))

    def xml_attributes(self) -> dict[str, str]:
        """The attributes to write for this node: every value that differs from its default."""
        out: dict[str, str] = {}
        fields = type(self).model_fields
        for alias, spec in self.XML_ATTRS.items():
            value = getattr(self, spec.field)
            info = fields[spec.field]
            if value is None or (not info.is_required() and value == info.default):
                continue
            if spec.separator is not None:
                joiner = ", " if spec.separator == "," else " "
                out[alias] = joiner.join(_format_scalar(v) for v in value)
            else:
                out[alias] = _format_scalar(value)
        return out

    @property
    def child_nodes(self) -> tuple[Node, ...]:
        return getattr(self, "children", ())

    def to_element(self) -> etree._Element:
        """This node as an lxml element (with its children)."""
        el = etree.Element(self.TAG, self.xml_attributes())
        ssml = getattr(self, "ssml", None)
        if ssml:
            # The markup was taken verbatim from a document; put it back the same way.
            wrapper = etree.fromstring(f"<{self.TAG}>{ssml}</{self.TAG}>".encode())
            el.text = wrapper.text
            el.extend(list(wrapper))
        else:
            text = getattr(self, "text", None)
            if text:
                el.text = text
        for child in self.child_nodes:
            el.append(child.to_element())
        return el

    def to_xml(self) -> str:
        """This node as XML text."""
        return etree.tostring(self.to_element(), encoding="unicode")

    def lint(self) -> list[Lint]:
        """Warnings about a valid node: things that work but may not do what the author meant."""
        return []


class Lint(typing.NamedTuple):
    """A warning from `Node.lint`: on `attribute` (None: the element), with an optional hint."""

    message: str
    attribute: str | None = None
    hint: str | None = None


class Verb(Node):
    """A node that may stand at the top level of a `<Response>`."""

    IS_VERB: ClassVar[bool] = True


def literal_members(annotation: Any) -> tuple[Any, ...] | None:
    """The members of a Literal annotation (through Annotated and Optional), else None."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return literal_members(typing.get_args(annotation)[0])
    if origin is Literal:
        return typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                found = literal_members(arg)
                if found is not None:
                    return found
    return None
