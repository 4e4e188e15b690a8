"""TwiML elements that TeXML does not have, and what to write instead.

Hosted TeXML does not say what it cannot run; texml does. Every element here is an error when
it appears in a document, with the hint as the way forward.
"""

from __future__ import annotations

from collections.abc import Mapping

TWIML_ONLY_ELEMENTS: Mapping[str, str] = {
    # <Dial> nouns
    "Client": "TeXML cannot dial Twilio Client identities; register the client as a Telnyx SIP "
    "credential and dial it with <Sip>sip:user@yourdomain.sip.telnyx.com</Sip>",
    "Identity": "TeXML has no <Client>/<Identity>; dial a SIP endpoint with <Sip>",
    "Application": "TeXML cannot dial another application; <Redirect> to that application's "
    "document URL instead",
    "ApplicationSid": "TeXML cannot dial another application; <Redirect> to its document URL",
    "Sim": "TeXML has no Super SIM dialing; dial the SIM's phone number with <Number>",
    "WhatsApp": "TeXML cannot dial WhatsApp users; dial a <Number> or <Sip> instead",
    "Uri": "TeXML <Sip> takes the SIP URI as its text: <Sip>sip:user@example.com</Sip>",
    # <Connect> nouns
    "Room": "TeXML has no video rooms; put the callers together with <Dial><Conference>",
    "VirtualAgent": "TeXML has no Dialogflow connector; use <Connect><AIAssistant id=\"...\"/> "
    "or <Connect><ConversationRelay url=\"wss://...\"/>",
    "Conversation": "TeXML has no Twilio Conversations connector; use <Connect><AIAssistant>",
    "Autopilot": "Autopilot is retired and TeXML has no equivalent; use <Connect><AIAssistant>",
    "Assistant": "TeXML runs AI assistants with <Connect><AIAssistant id=\"...\"/>",
    "AiSession": "TeXML runs AI sessions with <Connect><AIAssistant id=\"...\"/>",
    "ConversationRelaySession": "use <Connect><ConversationRelay url=\"wss://...\"/>",
    "Config": "TeXML takes settings as attributes, not <Config> children",
    # <Enqueue> noun
    "Task": "TeXML has no TaskRouter; route queued callers with <Enqueue> and <Dial><Queue>",
    # Verbs
    "Echo": "TeXML has no <Echo>; to test audio, <Record> the caller, then <Play> the "
    "RecordingUrl",
    "Sms": "voice documents cannot send SMS in TeXML; send it with the Telnyx Messaging API "
    "(for example from your action URL handler, or with <HttpRequest>)",
    "Message": "voice documents cannot send messages in TeXML; use the Telnyx Messaging API "
    "(for example with <HttpRequest>)",
}

# SSML elements TwiML allows inside <Say>; texml passes them to the TTS engine as SSML.
SSML_ELEMENTS: frozenset[str] = frozenset(
    {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w", "speak"}
)
