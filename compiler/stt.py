"""Speech-to-text settings of TeXML -> Call Control's `transcription_engine_config`.

Every engine has its own config object (section 5 of the Call Control spec: the
`TranscriptionEngine*ConfigParam` types), with its own spelling of the language and its own
list of languages and models. TeXML has one `language` and one `model` for all of them, so
this module picks, per engine, the spelling the engine accepts and leaves out what it cannot
take (the engine's default applies then) — a command the API would refuse is worse than a
default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The language and model values of each config type, copied from the SDK (telnyx 4.189.0);
# tests/compiler/test_start.py checks them against it. Order matters for `pick_language`:
# the first regional variant listed is the one a bare code ("en") maps to.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "Google": _codes(
        "af sq am ar hy az eu bn bs bg my ca yue zh hr cs da nl en et fil fi fr gl ka de el gu iw "
        "hi hu is id it ja jv kn kk km ko lo lv lt mk ms ml mr mn ne no fa pl pt pa ro ru rw sr "
        "si sk sl ss st es su sw sv ta te th tn tr ts uk ur uz ve vi xh zu"
    ),
    "Telnyx": _codes(
        "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta "
        "no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk "
        "sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb "
        "my bo tl mg as tt haw ln ha ba jw su auto_detect"
    ),
    "Azure": _codes(
        "af am ar bg bn bs ca cs cy da de el en es et eu fa fi fr ga gl gu he hi hr hu hy id is "
        "it ja ka kk km kn ko lo lt lv mk ml mn mr ms mt my nb ne nl pl ps pt ro ru si sk sl so "
        "sq sr sv sw ta te th tr uk ur uz vi wuu yue zh zu auto"
    ),
    "xAI": _codes(
        "ar cs da de en es fa fil fr hi id it ja ko mk ms nl pl pt ro ru sv th tr vi"
    ),
    "Speechmatics": _codes(
        "en ba eu gl ga mt mn sw ug cy ar_en cmn_en en_ms en_ta tl es-bilingual-en cmn_en_ms_ta "
        "ar be bg bn ca cmn cs da de el eo es et fa fi fr he hi hr hu ia id it ja ko lt lv mr ms "
        "nl no pl pt ro ru sk sl sv ta th tr uk ur vi yue en-US en-GB en-AU cmn-Hans cmn-Hant"
    ),
    "Humain": _codes("ar en codeswitch auto"),
    "Reson8": _codes("auto nl en fr fy de it pl pt es sv"),
    "Cohere": _codes("ar en"),
    "deepgram/nova-2": _codes(
        "bg ca zh-CN zh-Hans zh-TW zh-Hant zh-HK cs da-DK nl-BE en-US en-AU en-GB en-NZ en-IN et "
        "fi fr fr-CA de-CH el hi hu id it ja ko-KR lv lt ms no pl pt-BR pt-PT ro ru sk es-419 "
        "sv-SE th-TH tr uk vi auto_detect"
    ),
    "deepgram/nova-3": _codes(
        "en-US en-AU en-GB en-IN en-NZ de nl sv-SE da-DK es es-419 fr fr-CA pt-BR pt-PT "
        "auto_detect"
    ),
}
MODELS: dict[str, tuple[str, ...]] = {
    "Google": _codes(
        "latest_long latest_short command_and_search phone_call video default "
        "medical_conversation medical_dictation"
    ),
    "Telnyx": _codes("openai/whisper-tiny openai/whisper-large-v3-turbo"),
    "xAI": _codes("xai/grok-stt"),
    "AssemblyAI": _codes("assemblyai/universal-3-5-pro assemblyai/universal-streaming"),
    "Speechmatics": _codes("speechmatics/standard speechmatics/linden-1"),
    "Soniox": _codes("soniox/stt-rt-v4"),
    "Parakeet": _codes("nvidia/parakeet-v3 omi-health/omi-med-stt-v1"),
    "Humain": _codes("humain/realtime"),
    "Reson8": _codes("reson8/turns"),
    "Cohere": _codes("cohere/ar-stt"),
}
AZURE_REGIONS = _codes("australiaeast centralindia eastus northcentralus westeurope westus2")
# Engines whose config has `interim_results`.
_INTERIM = frozenset({"Google", "xAI", "AssemblyAI", "Speechmatics", "Soniox", "Parakeet",
                      "deepgram/nova-2", "deepgram/nova-3"})  # fmt: skip
_LEGACY = {"A": "Google", "B": "Telnyx"}


def pick_language(language: str | None, allowed: Sequence[str]) -> str | None:
    """`language` as `allowed` spells it: itself, its bare code (`en-US` -> `en`), or the first
    regional variant of its code (`en` -> `en-US`); None when the engine lacks it."""
    if not language:
        return None
    if language in allowed:
        return language
    base = language.replace("_", "-").split("-")[0].lower()
    if base in allowed:
        return base
    return next((code for code in allowed if code.lower().startswith(base + "-")), None)


def engine_name(engine: str) -> str:
    """The current name of an engine (`A` -> `Google`, `B` -> `Telnyx`)."""
    return _LEGACY.get(engine, engine)


def engine_config(
    engine: str,
    *,
    language: str | None = None,
    model: str | None = None,
    interim_results: bool = False,
    hints: Sequence[str] | None = None,
    keyterms: Sequence[str] | None = None,
    smart_format: bool = True,
    api_key_ref: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The `transcription_engine_config` for `engine` (a TeXML engine name), or {} when the
    engine needs none (a Deepgram model without a config type)."""
    engine = engine_name(engine)
    if engine == "Deepgram":
        # Deepgram's configs are keyed by model, not by engine name.
        variant = model or "deepgram/nova-3"
        if variant not in ("deepgram/nova-2", "deepgram/nova-3"):
            return {}
        config: dict[str, Any] = {"transcription_engine": variant, "transcription_model": variant}
    else:
        variant = engine
        config = {"transcription_engine": engine}
        if engine == "Azure":
            if region not in AZURE_REGIONS:
                return {}  # the config requires a region Call Control knows
            config["region"] = region
            if api_key_ref:
                config["api_key_ref"] = api_key_ref
        models = MODELS.get(engine, ())
        name = model.split("/", 1)[1] if engine == "Google" and model and "/" in model else model
        if name in models:
            config["model" if engine == "Google" else "transcription_model"] = name
    if engine == "Soniox":
        if language:
            config["language"] = language.split("-")[0]  # ISO 639-1 hint, free text
    elif variant in LANGUAGES:
        picked = pick_language(language, LANGUAGES[variant])
        if picked:
            config["language"] = picked
    if interim_results and variant in _INTERIM:
        config["interim_results"] = True
    if hints and variant in ("Google", "deepgram/nova-2"):
        config["hints"] = list(hints)
    if keyterms and variant == "deepgram/nova-3":
        config["keyterms"] = list(keyterms)
    if not smart_format and variant.startswith("deepgram/"):
        config["smart_format"] = False  # Telnyx's default is true
    return config
