"""TeXML voice names -> Call Control `voice`, `language` and `service_level`."""

from __future__ import annotations

from typing import Any

# The languages Call Control's speak accepts (TTS_LANGUAGES in the SDK).
TTS_LANGUAGES = frozenset(
    "arb cmn-CN cy-GB da-DK de-DE en-AU en-GB en-GB-WLS en-IN en-US es-ES es-MX es-US fr-CA "
    "fr-FR hi-IN is-IS it-IT ja-JP ko-KR nb-NO nl-NL pl-PL pt-BR pt-PT ro-RO ru-RU sv-SE "
    "tr-TR".split()
)
# Bare language codes TwiML documents use, mapped to the TTS language Telnyx has for them.
_SHORT_LANGUAGES = {
    "en": "en-US", "es": "es-ES", "fr": "fr-FR", "de": "de-DE", "it": "it-IT", "pt": "pt-BR",
    "ja": "ja-JP", "ko": "ko-KR", "nl": "nl-NL", "pl": "pl-PL", "ru": "ru-RU", "sv": "sv-SE",
    "da": "da-DK", "nb": "nb-NO", "tr": "tr-TR", "ro": "ro-RO", "hi": "hi-IN", "is": "is-IS",
    "cy": "cy-GB", "zh": "cmn-CN", "zh-CN": "cmn-CN", "ar": "arb",
}  # fmt: skip
_PROVIDERS = ("AWS.", "Azure.", "ElevenLabs.", "Telnyx.", "Resemble.", "Minimax.", "Rime.",
              "Inworld.", "FishAudio.", "Soniox.", "xAI.", "Humain.")  # fmt: skip


def tts_language(language: str | None) -> str | None:
    """The Call Control TTS language for a TeXML/TwiML language code, or None."""
    if language is None:
        return None
    if language in TTS_LANGUAGES:
        return language
    return _SHORT_LANGUAGES.get(language) or _SHORT_LANGUAGES.get(language.split("-")[0])


def speak_voice(voice: str | None, language: str | None) -> dict[str, Any]:
    """The `voice`, `language` and `service_level` fields of a speak-like command.

    `man`/`woman` are Telnyx's basic voices (en-US only); `alice` is a basic voice that takes a
    language. `Polly.X` is Amazon Polly, which Call Control spells `AWS.Polly.X`. Provider
    voices choose their own language, so no `language` is sent for them.
    """
    voice = voice or "man"
    if voice in ("man", "woman", "alice"):
        fields: dict[str, Any] = {"voice": "male" if voice == "man" else "female"}
        lang = tts_language(language) if voice == "alice" else "en-US"
        if lang and lang != "en-US":
            fields["language"] = lang
            fields["service_level"] = "premium"  # basic TTS is en-US only
        else:
            fields["language"] = "en-US"
        return fields
    if voice.startswith("Polly."):
        return {"voice": "AWS." + voice}
    return {"voice": voice}


def is_provider_voice(voice: str) -> bool:
    return voice.startswith(_PROVIDERS) or voice.startswith("Polly.")
