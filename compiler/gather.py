"""`<Gather>` -> gather commands, prompts and speech recognition.

Which commands a gather becomes:
- DTMF only, no prompt: `gather`.
- DTMF only, one `<Say>` (loop 1): `gather_using_speak`; one audio `<Play>` (loop 1, no
  failoverUrl): `gather_using_audio`. Call Control plays the prompt, stops it at the first
  digit and starts the `timeout` after it. `maximum_tries` is 1: Call Control would otherwise
  replay the prompt after a silence, which TwiML never does. A prompt with `loop` > 1 is not
  sent this way: TwiML plays all the loops and only then waits, while `maximum_tries` replays
  it only after a silence; it takes the path below, which keeps TwiML's timing.
- Anything else (several prompts, `<Pause>`, `<Play digits>`, loops, speech): the prompts are
  sent as `speak` / `playback_start` commands next to a `gather` (DTMF) and/or a
  `transcription_start` (speech). Consecutive prompts of one kind are sent together (Call
  Control queues them); a change of kind, a `<Pause>` (a timer) or `<Play digits>`
  (`send_dtmf`, then a timer for its estimated length) waits for what came before. The first
  digit or word stops the prompts (`playback_stop` with `stop="all"`, which stops speech too)
  and nothing more is sent. A plain `gather` starts timing at once, so it gets a long initial
  timeout and the step keeps its own `no-input` timer, started when the last prompt ends.

Results (DESIGN.md, TwiML where TeXML is silent):
- digits -> `Digits` to `action` (default: the current document; method: `method`, else the
  application's). A result that breaks the digit rules (minDigits, validDigits...) goes to
  `invalidDigitsAction` when there is one; without it, to `action` like any input, as Twilio
  submits whatever was typed when the timeout expires.
- speech -> `SpeechResult` and `Confidence` (average of the final results' confidences).
- nothing -> the next verb (outcome "no-input"), or `action` with `Digits=""` when
  `actionOnEmptyResult="true"`.
- the call hanging up -> the call is over; no action is requested.
- a refused gather (or a refused speech recognizer with nothing else to listen with) -> the
  next verb (outcome "failed").
Speech: after each final result the step waits `speechTimeout` seconds (`auto` or absent: one
second; the engine has already waited for the end of the utterance) for more; more speech
restarts the wait. With `input="dtmf speech"` the first input wins: a digit stops the
recognizer, a final speech result stops the gather.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from compiler.say import speak_body
from compiler.step import (
    Action, Callback, CallContext, Command, CommandFailed, Done, Effect, Event,
    Send, Step, TimerFired, Webhook, is_call_hangup,
)  # fmt: skip
from compiler.stt import engine_config
from verbs import Gather, Pause, Play, Say

# Bounds (no step may wait or grow without limit).
MAX_PROMPT_SECONDS = 300  # prompts still playing after this are cut and the timeout starts
STOP_WAIT_SECONDS = 5  # wait for call.gather.ended after gather_stop
AUTO_SPEECH_END_SECONDS = 1  # speechTimeout="auto" or absent
MAX_SPEECH_SECONDS = 60  # one spoken answer (Twilio's limit); then the result so far is used
MAX_FINAL_RESULTS = 50
MAX_TRANSCRIPT_CHARS = 2000
MAX_PARTIAL_CALLBACKS = 100
MAX_GATHER_MILLIS = 3_600_000  # a plain gather's overall limit
MAX_PLAYBACK_LOOP = 100  # playback_start's largest integer loop
MAX_HINTS = 100  # Deepgram's limit on hints/keyterms, applied to every engine
DTMF_DIGIT_SECONDS = 0.5  # estimated tone + gap per digit sent by <Play digits>

_FAILED_PLAYBACK = frozenset({"file_not_found", "failed", "unknown"})
# `model="vendor/..."` without transcriptionEngine: the engine that serves that vendor.
_VENDOR_ENGINES = {
    "google": "Google", "openai": "Telnyx", "azure": "Azure", "deepgram": "Deepgram",
    "xai": "xAI", "assemblyai": "AssemblyAI", "soniox": "Soniox", "speechmatics": "Speechmatics",
    "nvidia": "Parakeet", "omi-health": "Parakeet", "humain": "Humain", "reson8": "Reson8",
    "cohere": "Cohere",
}  # fmt: skip
# TeXML documents no default engine. Google is Call Control's historical one (engine `A`) and
# the one that takes profanityFilter, useEnhanced and hints.
DEFAULT_ENGINE = "Google"


def transcription_start_body(gather: Gather) -> dict[str, Any]:
    """`transcription_start` fields for a speech `<Gather>`.

    Interim results are asked for wherever the engine can send them: they let the caller's first
    words stop the prompts, keep the end-of-speech wait from running out while the caller is
    still talking, and feed partialResultCallback.
    """
    model = gather.model or ""
    vendor = model.split("/")[0].lower() if "/" in model else ""
    engine = gather.transcription_engine or _VENDOR_ENGINES.get(vendor, DEFAULT_ENGINE)
    config = engine_config(
        engine,
        language=gather.language,
        model=gather.model,
        interim_results=True,
        hints=list(gather.hints or ())[:MAX_HINTS],
        keyterms=list(gather.keyterms or ())[:MAX_HINTS],
        smart_format=gather.smart_format,
        api_key_ref=gather.api_key_ref,
        region=gather.region,
    )
    if engine == "Google":
        if gather.profanity_filter is not None:
            config["profanity_filter"] = gather.profanity_filter
        if gather.use_enhanced is not None:
            config["use_enhanced"] = gather.use_enhanced
    body: dict[str, Any] = {"transcription_engine": engine}
    if config:
        body["transcription_engine_config"] = config
    return body


@dataclass
class _Prompt:
    kind: Literal["speak", "playback", "dtmf", "pause"]
    body: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # pause length, or the estimated length of sent digits
    failover: dict[str, Any] | None = None  # playback body to try once if this one fails


class GatherStep(Step[Gather]):
    ENDS_ON: ClassVar = ("call.gather.ended", "call.transcription")

    def __init__(self, verb: Gather, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self._dtmf = "dtmf" in verb.input
        self._speech = "speech" in verb.input
        self._gather_id = ""
        self._gather_cmd: Command | None = None
        self._gather_active = False  # a gather was sent and has not ended
        self._gather_stopped = False  # gather_stop was sent
        self._transcription_cmd: Command | None = None
        self._transcribing = False
        # Prompts (queued mode only).
        self._segments: list[list[_Prompt]] = []
        self._prompting = False
        self._audio_kind = ""  # "speak"/"playback" while audio commands are outstanding
        self._audio_cmds: list[Command] = []
        self._outstanding = 0
        self._failover: dict[str, Any] | None = None
        # Input.
        self._winner: Literal["dtmf", "speech"] | None = None
        self._heard = False  # any speech at all (interim or final)
        self._finals: list[str] = []
        self._confidences: list[float] = []
        self._interim = ""
        self._partials_sent = 0
        self._pending: Done | None = None  # the result, once the stopped gather has ended

    # --- start -----------------------------------------------------------------------------

    def start(self) -> list[Effect]:
        children = self.verb.children
        if self._dtmf and not self._speech:
            if not children:
                return [Send(self._gather(self.verb.timeout * 1000))]
            only = children[0] if len(children) == 1 else None
            if isinstance(only, Say) and only.loop == 1:
                body = {**speak_body(only), **self._prompted_digit_fields()}
                return [Send(self._track_gather(self.ctx.command("gather_using_speak", body)))]
            if isinstance(only, Play) and only.loop == 1 and only.text and not only.failover_url:
                body = {**self._audio_source(only, only.text), **self._prompted_digit_fields()}
                return [Send(self._track_gather(self.ctx.command("gather_using_audio", body)))]
        effects: list[Effect] = []
        if self._speech:
            self._transcription_cmd = self.ctx.command(
                "transcription_start", transcription_start_body(self.verb)
            )
            self._transcribing = True
            effects.append(Send(self._transcription_cmd))
        if self._dtmf:
            # Our own no-input timer ends the gather; this only has to outlast the prompts.
            effects.append(Send(self._gather((MAX_PROMPT_SECONDS + self.verb.timeout) * 1000)))
        self._segments = _segments([self._prompt(c) for c in children])
        if self._segments:
            self._prompting = True
            effects += self.set_timer("prompt-window", MAX_PROMPT_SECONDS)
            effects += self._next_segment()
        else:
            effects += self._prompts_over()
        return effects

    def _digit_fields(self) -> dict[str, Any]:
        v = self.verb
        low, high = (v.num_digits, v.num_digits) if v.num_digits else (v.min_digits, v.max_digits)
        fields: dict[str, Any] = {
            "minimum_digits": low,
            "maximum_digits": high,
            # Call Control ends input on one key; with several, the first one does.
            "terminating_digit": v.finish_on_key[:1],
            "inter_digit_timeout_millis": v.timeout * 1000,
        }
        if v.valid_digits:
            fields["valid_digits"] = v.valid_digits
        return fields

    def _prompted_digit_fields(self) -> dict[str, Any]:
        timeout = self.verb.timeout * 1000
        return {**self._digit_fields(), "timeout_millis": timeout, "maximum_tries": 1}

    def _gather(self, initial_millis: int) -> Command:
        self._gather_id = self.ctx.new_id()
        fields = self._digit_fields()
        # The overall limit must not cut a caller who keeps within the per-digit timeouts.
        overall = initial_millis + fields["maximum_digits"] * fields["inter_digit_timeout_millis"]
        body = {
            "gather_id": self._gather_id,
            **fields,
            "initial_timeout_millis": initial_millis,
            "timeout_millis": min(overall, MAX_GATHER_MILLIS),
        }
        return self._track_gather(self.ctx.command("gather", body))

    def _track_gather(self, command: Command) -> Command:
        self._gather_cmd = command
        self._gather_active = True
        return command

    # --- prompts ---------------------------------------------------------------------------

    def _prompt(self, child: Say | Play | Pause) -> _Prompt | None:
        if isinstance(child, Pause):
            return _Prompt("pause", seconds=child.length)
        if isinstance(child, Say):
            body = speak_body(child)
            if child.loop != 1:
                body["loop"] = "infinity" if child.loop == 0 else child.loop
            return _Prompt("speak", body)
        if child.digits:
            seconds = sum(1.0 if d == "W" else DTMF_DIGIT_SECONDS for d in child.digits)
            return _Prompt("dtmf", {"digits": child.digits}, seconds=seconds)
        if not child.text:
            return None  # ringTone: Call Control can only ring while dialing
        failover = self._audio_source(child, child.failover_url) if child.failover_url else None
        return _Prompt("playback", self._audio_source(child, child.text), failover=failover)

    def _audio_source(self, play: Play, source: str) -> dict[str, Any]:
        body: dict[str, Any]
        if play.media_storage:
            body = {"media_name": source}
        else:
            body = {"audio_url": self.ctx.url(source)}
        if play.loop != 1:
            body["loop"] = "infinity" if play.loop == 0 else min(play.loop, MAX_PLAYBACK_LOOP)
        return body

    def _next_segment(self) -> list[Effect]:
        if not self._segments:
            return self._prompts_over()
        segment = self._segments.pop(0)
        first = segment[0]
        if first.kind == "pause":
            return self.set_timer("pause", first.seconds)
        if first.kind == "dtmf":
            send = Send(self.ctx.command("send_dtmf", first.body))
            return [send, *self.set_timer("pause", first.seconds)]
        action = "speak" if first.kind == "speak" else "playback_start"
        self._audio_kind = first.kind
        self._audio_cmds = [self.ctx.command(action, p.body) for p in segment]
        self._outstanding = len(segment)
        self._failover = first.failover
        return [Send(c) for c in self._audio_cmds]

    def _prompts_over(self) -> list[Effect]:
        self._prompting = False
        self._audio_kind = ""
        effects = self.cancel_timer("prompt-window")
        if self._winner is None and not self._heard:
            effects += self.set_timer("no-input", self.verb.timeout)
        return effects

    def _stop_prompts(self) -> list[Effect]:
        """Barge-in: stop what is playing and send nothing more."""
        if not self._prompting:
            return []
        effects: list[Effect] = []
        if self._audio_kind:
            effects.append(Send(self.ctx.command("playback_stop", {"stop": "all"})))
        self._prompting = False
        self._audio_kind = ""
        self._segments = []
        return [*effects, *self.cancel_timer("pause"), *self.cancel_timer("prompt-window")]

    def _audio_ended(self, event: Webhook) -> list[Effect]:
        kind = "speak" if event.event_type == "call.speak.ended" else "playback"
        if not self._prompting or self._audio_kind != kind:
            return []
        failed = event.payload.get("status") in _FAILED_PLAYBACK
        if kind == "playback" and self._failover and failed:
            command = self.ctx.command("playback_start", self._failover)
            self._failover = None
            self._audio_cmds.append(command)
            return [Send(command)]
        return self._one_audio_done()

    def _one_audio_done(self) -> list[Effect]:
        self._outstanding -= 1
        if self._outstanding > 0:
            return []
        self._audio_kind = ""
        return self._next_segment()

    # --- events ----------------------------------------------------------------------------

    def on_event(self, event: Event) -> list[Effect]:
        if self.done:
            return []
        if is_call_hangup(event, self.ctx):
            return self.finish(Done(end=True, outcome="hangup"))
        if isinstance(event, TimerFired):
            return self._on_timer(event.name)
        if isinstance(event, CommandFailed):
            return self._on_failed(event.command)
        if not isinstance(event, Webhook) or event.leg not in (None, self.ctx.call_control_id):
            return []
        kind, payload = event.event_type, event.payload
        if kind in ("call.speak.ended", "call.playback.ended"):
            if payload.get("status") == "call_hangup":
                return self.finish(Done(end=True, outcome="hangup"))
            return self._audio_ended(event)
        if kind == "call.dtmf.received":
            return self._on_digit()
        if kind == "call.transcription":
            return self._on_transcription(payload.get("transcription_data") or {})
        if kind == "call.gather.ended":
            return self._on_gather_ended(payload)
        return []

    def _on_timer(self, name: str) -> list[Effect]:
        if not self.timer_fired(name):
            return []  # cancelled, or not ours
        if name == "pause" and self._prompting:
            return self._next_segment()
        if name == "prompt-window" and self._prompting:
            stop = self._stop_prompts()
            return [*stop, *self._prompts_over()]
        if name == "no-input":
            return self._conclude(self._no_input())
        if name in ("speech-end", "speech-max"):
            return self._speech_done()
        if name == "stop-wait" and self._pending is not None:
            return self.finish(self._pending)
        return []

    def _on_failed(self, command: Command) -> list[Effect]:
        if command == self._gather_cmd:
            self._gather_active = False
            if self._pending is not None:
                return self.finish(self._pending)
            if self._transcribing and self._winner != "dtmf":
                return []  # speech can still answer
            return self.finish(Done(outcome="failed"), *self._quiet())
        if command == self._transcription_cmd:
            self._transcribing = False
            if self._gather_active and self._winner != "speech":
                return []  # digits can still answer
            return self.finish(Done(outcome="failed"), *self._quiet())
        if command.action == "gather_stop" and self._pending is not None:
            return self.finish(self._pending)  # no gather left to stop
        if command in self._audio_cmds and self._prompting and self._audio_kind:
            return self._one_audio_done()  # a refused prompt is skipped
        return []

    def _on_digit(self) -> list[Effect]:
        if not self._dtmf or self._gather_id == "" or self._winner is not None:
            return []  # speech only, or Call Control runs the prompt, or input already won
        self._winner = "dtmf"
        effects = [*self._stop_prompts(), *self.cancel_timer("no-input")]
        effects += self._stop_transcription()
        return [*effects, *self.cancel_timer("speech-end"), *self.cancel_timer("speech-max")]

    def _on_transcription(self, data: Mapping[str, Any]) -> list[Effect]:
        text = str(data.get("transcript") or "").strip()
        if not self._transcribing or self._winner == "dtmf" or self._pending or not text:
            return []
        effects: list[Effect] = []
        if not self._heard:
            self._heard = True
            effects += [*self._stop_prompts(), *self.cancel_timer("no-input")]
            effects += self.set_timer("speech-max", MAX_SPEECH_SECONDS)
        if not data.get("is_final"):
            self._interim = text
            return [*effects, *self.cancel_timer("speech-end"), *self._partial_callback(text)]
        self._interim = ""
        self._finals.append(text)
        confidence = data.get("confidence")
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
            self._confidences.append(float(confidence))
        if self._winner is None:
            self._winner = "speech"
            effects += self._stop_gather()
        wait = self._speech_end_seconds()
        full = (
            len(self._finals) >= MAX_FINAL_RESULTS
            or len(self._transcript()) >= MAX_TRANSCRIPT_CHARS
        )
        if wait == 0 or full:
            return [*effects, *self._speech_done()]
        return [*effects, *self.set_timer("speech-end", wait)]

    def _partial_callback(self, text: str) -> list[Effect]:
        url = self.ctx.url(self.verb.partial_result_callback)
        if not url or self._partials_sent >= MAX_PARTIAL_CALLBACKS:
            return []
        params = {
            "SequenceNumber": str(self._partials_sent),
            "UnstableSpeechResult": text[:MAX_TRANSCRIPT_CHARS],
            "StableSpeechResult": self._transcript(),
        }
        self._partials_sent += 1
        return [Callback(url, self.verb.partial_result_callback_method, params)]

    def _on_gather_ended(self, payload: Mapping[str, Any]) -> list[Effect]:
        echoed = payload.get("gather_id")
        if not self._gather_active or (echoed and self._gather_id and echoed != self._gather_id):
            return []  # an earlier gather's late report
        self._gather_active = False
        status = payload.get("status")
        digits = str(payload.get("digits") or "")
        if status == "call_hangup":
            return self.finish(Done(end=True, outcome="hangup"))
        if self._pending is not None:
            if self._pending.outcome == "no-input" and self._strip(digits):
                return self.finish(self._digits_result(digits, status), *self._quiet())
            return self.finish(self._pending)
        if self._winner == "speech":
            return []  # we stopped it; the speech result is on its way
        return self.finish(self._digits_result(digits, status), *self._quiet())

    # --- results ---------------------------------------------------------------------------

    def _speech_done(self) -> list[Effect]:
        text = self._transcript() or self._interim[:MAX_TRANSCRIPT_CHARS]
        effects = [*self.cancel_timer("speech-end"), *self.cancel_timer("speech-max")]
        effects += self._stop_transcription()
        if not text:
            return [*effects, *self._conclude(self._no_input())]
        self._winner = "speech"
        confidence = sum(self._confidences) / len(self._confidences) if self._confidences else 0.0
        done = Done(
            params={"SpeechResult": text, "Confidence": str(round(confidence, 6))},
            action=self._action(),
        )
        return [*effects, *self._conclude(done)]

    def _conclude(self, done: Done) -> list[Effect]:
        """Finish with `done`, once a running gather has been stopped and has ended."""
        effects = [*self._stop_prompts(), *self._stop_transcription(), *self.cancel_timer("no-input")]
        if not self._gather_active:
            return self.finish(done, *effects)
        self._pending = done
        return [*effects, *self._stop_gather(), *self.set_timer("stop-wait", STOP_WAIT_SECONDS)]

    def _digits_result(self, digits: str, status: Any) -> Done:
        digits = self._strip(digits)
        if not digits:
            return self._no_input()
        # Call Control's verdict first; a timeout or a stop leaves it to the digit rules.
        invalid = status == "invalid" or (status != "valid" and not self._digits_ok(digits))
        if invalid and self.verb.invalid_digits_action:
            url = self.ctx.url(self.verb.invalid_digits_action)
            action = Action(url, self._method())
            return Done(params={"Digits": digits}, action=action, outcome="invalid")
        return Done(params={"Digits": digits}, action=self._action())

    def _no_input(self) -> Done:
        action = self._action()
        if self.verb.action_on_empty_result and action is not None:
            params = {"Digits": ""} if self._dtmf else {}
            return Done(params=params, action=action, outcome="no-input")
        return Done(outcome="no-input")

    def _strip(self, digits: str) -> str:
        """The digits without the key that ended them (TwiML leaves finishOnKey out)."""
        key = self.verb.finish_on_key[:1]
        return digits[:-1] if key and digits.endswith(key) else digits

    def _digits_ok(self, digits: str) -> bool:
        v = self.verb
        low, high = (v.num_digits, v.num_digits) if v.num_digits else (v.min_digits, v.max_digits)
        valid = v.valid_digits or "0123456789*#"
        return low <= len(digits) <= high and all(d in valid for d in digits)

    def _transcript(self) -> str:
        return " ".join(self._finals)[:MAX_TRANSCRIPT_CHARS]

    def _speech_end_seconds(self) -> float:
        timeout = self.verb.speech_timeout
        return AUTO_SPEECH_END_SECONDS if timeout in (None, "auto") else float(timeout)

    def _action(self) -> Action | None:
        url = self.ctx.url(self.verb.action) if self.verb.action else self.ctx.document_url
        return Action(url, self._method()) if url else None

    def _method(self) -> Literal["GET", "POST"]:
        return self.verb.method or self.ctx.voice_method

    # --- housekeeping ----------------------------------------------------------------------

    def _stop_gather(self) -> list[Effect]:
        if not self._gather_active or self._gather_stopped:
            return []
        self._gather_stopped = True
        return [Send(self.ctx.command("gather_stop"))]

    def _stop_transcription(self) -> list[Effect]:
        if not self._transcribing:
            return []
        self._transcribing = False
        return [Send(self.ctx.command("transcription_stop"))]

    def _quiet(self) -> list[Effect]:
        return [*self._stop_prompts(), *self._stop_transcription()]


def _segments(prompts: list[_Prompt | None]) -> list[list[_Prompt]]:
    """Prompts grouped into what is sent at once: runs of speak, or of playback (a playback
    with a failover alone, so its failure can be told apart); pauses and digits alone."""
    out: list[list[_Prompt]] = []
    for p in prompts:
        if p is None:
            continue
        joins = (
            out
            and p.kind in ("speak", "playback")
            and out[-1][0].kind == p.kind
            and p.failover is None
            and out[-1][-1].failover is None
        )
        if joins:
            out[-1].append(p)
        else:
            out.append([p])
    return out
