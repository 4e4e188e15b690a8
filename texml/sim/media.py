"""What a call plays and what it listens to: speak, playback, gather, record, transcription.

Timing (virtual seconds), chosen to be plausible and easy to predict in a trace:
- speech synthesis: 2.5 words a second, at least one second per loop; an SSML `<break
  time="2s"/>` adds its pause. `loop` repeats it; `infinity` plays until stopped.
- audio files: their length is unknown, so 5 s per play, unless the URL ends with a fragment
  `#<seconds>s` (`https://x/hold.mp3#30s`). A URL ending `#missing` fails with
  `file_not_found`, to try a `<Play>`'s failover or `continueOnError`.
- audio queues: speak and playback commands share one queue per call and play in turn;
  `stop` (`current`/`all`) and `playback_stop` (default `all`) cut it. A stopped speak ends
  `completed` (the SDK has no `cancelled` for speech), a stopped playback `cancelled`.
- gathers follow Call Control's defaults: 1-128 digits, `#` ends input, 5 s for the first
  digit and between digits, 60 s overall; gather_using_speak/audio wait `timeout_millis`
  after their prompt and replay it up to `maximum_tries` (default 3) times. gather_using_speak
  sends no speak webhooks, gather_using_audio sends its playback ones. The terminating digit
  is not part of `digits`; a digit outside `valid_digits` makes the input `invalid`.
- a recording hears what the caller says or talks; it stops at `max_length`, `timeout_secs`
  of silence after the caller has talked (Call Control starts that clock at the first speech),
  `record_stop`, or the hang-up; `call.recording.saved` follows one second later, with URLs
  under the simulator's `/sim/recordings/`. With `trim: trim-silence` the file is only the
  talking. A requested transcription (`call.recording.transcription.saved`) follows after two
  more seconds, with the words said.
- real-time transcription turns each `speech:` item into an interim result after its first
  word (when the engine config asks for `interim_results`) and a final one when it is said.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from texml.sim.caller import WORDS_PER_SECOND
from texml.sim.clock import Timer
from texml.sim.component import CallHandler, Component
from texml.sim.errors import invalid, wrong_state

if TYPE_CHECKING:
    from texml.sim.core import Call

DEFAULT_PLAY_SECONDS = 5.0
SAVE_SECONDS = 1.0  # from the end of a recording to call.recording.saved
TRANSCRIBE_SECONDS = 2.0  # from call.recording.saved to its transcription
CONFIDENCE = 0.92  # of every speech recognition result
FIRST_WORD_SECONDS = 1 / WORDS_PER_SECOND

_BREAK = re.compile(r"<break\b[^>]*\btime\s*=\s*[\"']?\s*([\d.]+)\s*(ms|s)\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_LENGTH_FRAGMENT = re.compile(r"#(\d+(?:\.\d+)?)s$")


def plain_text(payload: str) -> str:
    """The words of a speak payload (SSML tags removed)."""
    return " ".join(_TAG.sub(" ", payload).split())


def speak_seconds(payload: str) -> float:
    """How long one loop of a speak payload lasts."""
    pauses = sum(float(n) / (1000 if unit.lower() == "ms" else 1)
                 for n, unit in _BREAK.findall(payload))  # fmt: skip
    words = len(re.findall(r"\w+", plain_text(payload)))
    return max(1.0, words / WORDS_PER_SECOND + pauses)


def play_seconds(source: str) -> float:
    """How long one play of an audio file lasts (see the module docstring)."""
    hit = _LENGTH_FRAGMENT.search(source)
    return max(0.1, float(hit.group(1))) if hit else DEFAULT_PLAY_SECONDS


def loops_of(value: Any) -> int | None:
    """A `loop` value as a count (None: `infinity`)."""
    if value is None:
        return 1
    if isinstance(value, str):
        if value.strip().lower() == "infinity":
            return None
        if not value.strip().isdigit():
            raise invalid(f"'loop' is {value!r}; it must be 1-100 or 'infinity'", "loop")
        value = int(value)
    if not 1 <= int(value) <= 100:
        raise invalid(f"'loop' is {value!r}; it must be 1-100 or 'infinity'", "loop")
    return int(value)


# --- state -------------------------------------------------------------------------------------


@dataclass(eq=False)
class Audio:
    """One item of a call's audio queue."""

    kind: Literal["speak", "playback"]
    body: dict[str, Any]
    seconds: float  # one loop
    loops: int | None  # None: until stopped
    silent: bool = False  # a gather_using_speak prompt: no speak webhooks
    owner: Gather | None = None  # the gather this is the prompt of
    missing: bool = False  # the file does not exist
    timer: Timer | None = None

    @property
    def source(self) -> dict[str, Any]:
        """media_url / media_name for playback webhooks."""
        if "audio_url" in self.body:
            return {"media_url": self.body["audio_url"]}
        if "media_name" in self.body:
            return {"media_name": self.body["media_name"]}
        return {"media_url": ""}  # playback_content: Telnyx sends empty names


@dataclass(eq=False)
class Gather:
    id: str
    kind: str  # gather, gather_using_speak, gather_using_audio
    minimum: int
    maximum: int
    terminating: str
    valid: str
    inter_ms: int
    wait_ms: int  # for the first digit (after the prompt, for the prompted kinds)
    tries: int
    prompt_body: dict[str, Any] | None = None
    invalid_body: dict[str, Any] | None = None
    digits: str = ""
    prompt: Audio | None = None
    timer: Timer | None = None  # the running first-digit / between-digits wait
    overall: Timer | None = None


@dataclass(eq=False)
class Recording:
    id: str
    format: str
    channels: str
    started_at: float
    max_length: float = 0.0
    timeout_secs: float = 0.0
    trim: bool = False
    transcription: bool = False
    transcription_engine: str | None = None
    talked: float = 0.0
    words: list[str] = field(default_factory=list)
    paused: bool = False
    ended_at: float | None = None
    saved: bool = False
    limit: Timer | None = None  # max_length
    silence: Timer | None = None  # timeout_secs after the caller last talked

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "format": self.format, "started_at": self.started_at,
                "ended_at": self.ended_at, "talked": self.talked, "saved": self.saved}  # fmt: skip


@dataclass(eq=False)
class CallMedia:
    """What a call is playing and listening to."""

    queue: deque[Audio] = field(default_factory=deque)
    current: Audio | None = None
    overlays: list[Audio] = field(default_factory=list)
    gather: Gather | None = None
    transcription: dict[str, Any] | None = None
    recordings: list[Recording] = field(default_factory=list)
    # What listens for the person on the line (gather, transcription, record, pay, ai_gather);
    # `epoch` counts listeners started, so a silent caller can wait for the next one.
    listeners: set[str] = field(default_factory=set)
    epoch: int = 0

    @property
    def recording(self) -> list[Recording]:
        """The recordings still running."""
        return [r for r in self.recordings if r.ended_at is None]


# --- the component ------------------------------------------------------------------------------


class Media(Component):
    def actions(self) -> dict[str, CallHandler]:
        return {
            "speak": self._speak, "playback_start": self._playback_start,
            "playback_stop": self._playback_stop, "send_dtmf": self._send_dtmf,
            "gather": self._gather, "gather_using_speak": self._gather_prompted,
            "gather_using_audio": self._gather_prompted, "gather_stop": self._gather_stop,
            "record_start": self._record_start, "record_stop": self._record_stop,
            "record_pause": self._record_pause, "record_resume": self._record_resume,
            "transcription_start": self._transcription_start,
            "transcription_stop": self._transcription_stop,
        }  # fmt: skip

    # --- listeners ---------------------------------------------------------------------------

    def start_listening(self, call: Call, name: str) -> None:
        call.media.listeners.add(name)
        call.media.epoch += 1

    def stop_listening(self, call: Call, name: str) -> None:
        call.media.listeners.discard(name)

    def playing_for(self, call: Call) -> float:
        """Seconds until the call's audio queue is done (its loops without end count once)."""
        media = call.media
        items = ([media.current] if media.current else []) + list(media.queue)
        return sum(item.seconds * (item.loops or 1) for item in items)

    def audible(self, call: Call) -> bool:
        """Whether a prompt is playing to the person (a loop without end is not one)."""
        current = call.media.current
        return current is not None and current.loops is not None

    # --- the audio queue ---------------------------------------------------------------------

    def _speak(self, call: Call, body: dict[str, Any]) -> None:
        _need_answered(call, "speak")
        self.speak(call, body)

    def speak(self, call: Call, body: dict[str, Any], *, silent: bool = False,
              owner: Gather | None = None) -> Audio:  # fmt: skip
        payload = str(body["payload"])
        if len(payload) > 3000:
            raise invalid("'payload' is longer than 3000 characters", "payload")
        item = Audio("speak", body, speak_seconds(payload), loops_of(body.get("loop")),
                     silent=silent, owner=owner)  # fmt: skip
        self.enqueue(call, item, body.get("stop"))
        return item

    def _playback_start(self, call: Call, body: dict[str, Any]) -> None:
        _need_answered(call, "playback_start")
        self.play(call, body)

    def play(self, call: Call, body: dict[str, Any], *, owner: Gather | None = None) -> Audio:
        sources = [k for k in ("audio_url", "media_name", "playback_content") if k in body]
        if len(sources) != 1:
            raise invalid("give exactly one of audio_url, media_name and playback_content",
                          sources[1] if sources else "audio_url")  # fmt: skip
        name = str(body[sources[0]]) if sources[0] != "playback_content" else ""
        item = Audio("playback", body, play_seconds(name), loops_of(body.get("loop")),
                     owner=owner, missing=name.endswith("#missing"))  # fmt: skip
        if body.get("overlay"):
            if call.media.current is None:
                raise wrong_state("an overlay playback needs another playback in progress")
            call.media.overlays.append(item)
            self._begin(call, item)
            return item
        self.enqueue(call, item, body.get("stop"))
        return item

    def enqueue(self, call: Call, item: Audio, stop: Any = None) -> None:
        if stop in ("current", "all"):
            self.stop(call, stop)
        call.media.queue.append(item)
        self._next(call)

    def _next(self, call: Call) -> None:
        media = call.media
        while media.current is None and media.queue and call.alive:
            item = media.queue.popleft()
            media.current = item
            self._begin(call, item)

    def _begin(self, call: Call, item: Audio) -> None:
        sim = self.sim
        if item.missing:
            self._end(call, item, "file_not_found", started=False)
            return
        if item.kind == "speak":
            if not item.silent:
                sim.emit("call.speak.started", call)
            sim.note(call, "hear", say=plain_text(str(item.body["payload"])))
        else:
            sim.emit("call.playback.started", call, {**item.source, "overlay": bool(
                item.body.get("overlay"))})  # fmt: skip
            shown = item.body.get("audio_url") or item.body.get("media_name") or "(inline audio)"
            sim.note(call, "hear", play=shown)
        if item.loops is not None:
            item.timer = sim.clock.after(item.seconds * item.loops,
                                         lambda: self._end(call, item, "completed"), "audio")  # fmt: skip

    def _end(self, call: Call, item: Audio, status: str, *, started: bool = True) -> None:
        """`item` stops playing with `status`; the next one starts."""
        media = call.media
        if item.timer is not None:
            item.timer.cancel()
            item.timer = None
        if item in media.overlays:
            media.overlays.remove(item)
        elif media.current is item:
            media.current = None
        else:
            return
        self._report_end(call, item, status)
        gather = item.owner
        if gather is not None and gather.prompt is item:
            gather.prompt = None
            if status == "completed" and media.gather is gather:
                self._await_digit(call, gather, gather.wait_ms)
        self._next(call)

    def _report_end(self, call: Call, item: Audio, status: str) -> None:
        if item.kind == "speak":
            if not item.silent:
                speak_status = status if status in ("completed", "call_hangup") else "completed"
                self.sim.emit("call.speak.ended", call, {"status": speak_status})
            return
        payload: dict[str, Any] = {**item.source, "overlay": bool(item.body.get("overlay")),
                                   "status": status}  # fmt: skip
        if status == "file_not_found":
            payload["status_detail"] = "the simulator plays no URL ending in #missing"
        self.sim.emit("call.playback.ended", call, payload)

    def stop(self, call: Call, which: str = "all", *, status: str | None = None) -> None:
        """Stop the current audio (`current`) or everything queued too (`all`)."""
        media = call.media
        pending: list[Audio] = []
        if which == "all":
            pending, media.queue = list(media.queue), deque()
        if media.current is not None:
            current = media.current
            self._end(call, current, status or _stopped(current))
        for item in pending:
            self._report_end(call, item, status or _stopped(item))

    def _playback_stop(self, call: Call, body: dict[str, Any]) -> None:
        which = body.get("stop", "all")
        if which not in ("current", "all"):
            raise invalid(f"'stop' is {which!r}; it must be current or all", "stop")
        if body.get("overlay"):
            for item in list(call.media.overlays):
                self._end(call, item, "cancelled")
            return
        self.stop(call, which)

    def _send_dtmf(self, call: Call, body: dict[str, Any]) -> None:
        digits = str(body["digits"])
        if not digits or any(c not in "0123456789*#ABCDwW" for c in digits.upper()):
            raise invalid(f"'digits' is {digits!r}: use 0-9, A-D, *, #, w and W", "digits")
        self.sim.note(call, "hear", dtmf=digits)

    # --- gathers -----------------------------------------------------------------------------

    def _gather(self, call: Call, body: dict[str, Any]) -> None:
        _need_answered(call, "gather")
        gather = self._new_gather(call, "gather", body, tries=1)
        gather.wait_ms = int(body.get("initial_timeout_millis", 5000))
        self._start_gather(call, gather, body)
        self._await_digit(call, gather, gather.wait_ms)

    def _gather_prompted(self, call: Call, body: dict[str, Any]) -> None:
        kind = "gather_using_speak" if "payload" in body else "gather_using_audio"
        _need_answered(call, kind)
        tries = int(body.get("maximum_tries", 3))
        if tries < 1:
            raise invalid("'maximum_tries' must be at least 1", "maximum_tries")
        gather = self._new_gather(call, kind, body, tries=tries)
        if kind == "gather_using_speak":
            gather.prompt_body = {k: body[k] for k in (
                "payload", "voice", "language", "payload_type", "service_level", "voice_settings",
            ) if k in body}  # fmt: skip
            if "invalid_payload" in body:
                gather.invalid_body = {**gather.prompt_body, "payload": body["invalid_payload"]}
        else:
            gather.prompt_body = {k: body[k] for k in ("audio_url", "media_name") if k in body}
            if not gather.prompt_body:
                raise invalid("gather_using_audio needs audio_url or media_name", "audio_url")
            bad = {k.removeprefix("invalid_"): body[k]
                   for k in ("invalid_audio_url", "invalid_media_name") if k in body}  # fmt: skip
            gather.invalid_body = bad or None
        gather.wait_ms = int(body.get("timeout_millis", 60000))
        self._start_gather(call, gather, body)
        self._prompt(call, gather, gather.prompt_body)

    def _new_gather(self, call: Call, kind: str, body: dict[str, Any], *, tries: int) -> Gather:
        low = int(body.get("minimum_digits", 1))
        high = int(body.get("maximum_digits", 128))
        if not 1 <= low <= high <= 128:
            raise invalid(f"minimum_digits {low} and maximum_digits {high}: need "
                          "1 <= minimum <= maximum <= 128", "minimum_digits")  # fmt: skip
        terminating = str(body.get("terminating_digit", "#"))
        if len(terminating) > 1:
            raise invalid(f"'terminating_digit' is {terminating!r}: one key, or \"\"",
                          "terminating_digit")  # fmt: skip
        return Gather(
            id=str(body.get("gather_id") or self.sim.new_id()), kind=kind, minimum=low,
            maximum=high, terminating=terminating,
            valid=str(body.get("valid_digits", "0123456789#*")),
            inter_ms=int(body.get("inter_digit_timeout_millis", 5000)), wait_ms=5000,
            tries=tries,
        )  # fmt: skip

    def _start_gather(self, call: Call, gather: Gather, body: dict[str, Any]) -> None:
        media = call.media
        if media.gather is not None:  # a new gather replaces the running one
            self._end_gather(call, media.gather, "cancelled")
        media.gather = gather
        self.start_listening(call, "gather")
        if gather.kind == "gather":
            overall = int(body.get("timeout_millis", 60000)) / 1000
            gather.overall = self.sim.clock.after(
                overall, lambda: self._gather_timed_out(call, gather, overall=True), "gather")

    def _prompt(self, call: Call, gather: Gather, body: dict[str, Any]) -> None:
        if gather.kind == "gather_using_speak":
            gather.prompt = self.speak(call, dict(body), silent=True, owner=gather)
        else:
            gather.prompt = self.play(call, dict(body), owner=gather)

    def _await_digit(self, call: Call, gather: Gather, millis: int) -> None:
        if gather.timer is not None:
            gather.timer.cancel()
        gather.timer = self.sim.clock.after(
            millis / 1000, lambda: self._gather_timed_out(call, gather), "gather")

    def _gather_timed_out(self, call: Call, gather: Gather, *, overall: bool = False) -> None:
        if call.media.gather is not gather or not call.alive:
            return
        if gather.digits:
            status = "valid" if len(gather.digits) >= gather.minimum else "invalid"
            self._retry_or_end(call, gather, status)
        elif not overall and gather.tries > 1 and gather.prompt_body is not None:
            gather.tries -= 1
            self._prompt(call, gather, gather.prompt_body)
        else:
            self._end_gather(call, gather, "timeout")

    def heard_digit(self, call: Call, key: str) -> None:
        gather = call.media.gather
        if gather is None:
            return
        if gather.prompt is not None:  # a key cuts the prompt short
            prompt = gather.prompt
            gather.prompt = None
            self._end(call, prompt, _stopped(prompt))
        if gather.timer is not None:
            gather.timer.cancel()
            gather.timer = None
        if gather.terminating and key == gather.terminating:
            status = "valid" if len(gather.digits) >= gather.minimum else "invalid"
            self._retry_or_end(call, gather, status)
            return
        gather.digits += key
        if key not in gather.valid:
            self._retry_or_end(call, gather, "invalid")
        elif len(gather.digits) >= gather.maximum:
            self._end_gather(call, gather, "valid")
        else:
            self._await_digit(call, gather, gather.inter_ms)

    def _retry_or_end(self, call: Call, gather: Gather, status: str) -> None:
        """Invalid input with tries left: the invalid prompt, then the prompt again."""
        if status == "invalid" and gather.tries > 1 and gather.prompt_body is not None:
            gather.tries -= 1
            gather.digits = ""
            if gather.invalid_body:
                if gather.kind == "gather_using_speak":
                    self.speak(call, dict(gather.invalid_body), silent=True)
                else:
                    self.play(call, dict(gather.invalid_body))
            self._prompt(call, gather, gather.prompt_body)
            return
        self._end_gather(call, gather, status)

    def _end_gather(self, call: Call, gather: Gather, status: str) -> None:
        media = call.media
        for timer in (gather.timer, gather.overall):
            if timer is not None:
                timer.cancel()
        if gather.prompt is not None and status != "call_hangup":
            prompt = gather.prompt
            gather.prompt = None
            self._end(call, prompt, _stopped(prompt))
        if media.gather is gather:
            media.gather = None
            self.stop_listening(call, "gather")
        self.sim.emit("call.gather.ended", call,
                      {"digits": gather.digits, "status": status, "gather_id": gather.id})  # fmt: skip

    def _gather_stop(self, call: Call, body: dict[str, Any]) -> None:
        gather = call.media.gather
        if gather is None:
            raise wrong_state(f"no gather is running on {call.id}")
        self._end_gather(call, gather, "cancelled")

    # --- real-time transcription -------------------------------------------------------------

    def _transcription_start(self, call: Call, body: dict[str, Any]) -> None:
        _need_answered(call, "transcription_start")
        self.start_transcription(call, body)

    def start_transcription(self, call: Call, body: dict[str, Any]) -> None:
        config = body.get("transcription_engine_config") or {}
        engine = str(body.get("transcription_engine", "Google"))
        call.media.transcription = {
            "engine": engine,
            "interim": bool(config.get("interim_results")) if isinstance(config, dict) else False,
            "token": object(),  # results of an earlier session are dropped
        }
        self.start_listening(call, "transcription")

    def _transcription_stop(self, call: Call, body: dict[str, Any]) -> None:
        call.media.transcription = None
        self.stop_listening(call, "transcription")

    def heard_speech(self, call: Call, text: str, seconds: float) -> None:
        self._hear_talk(call, seconds, words=text.split())
        session = call.media.transcription
        if session is None:
            return
        words = text.split()
        if session["interim"]:
            first = min(FIRST_WORD_SECONDS, seconds)
            self.sim.clock.after(first, lambda: self._transcript(call, session, words[0], False),
                                 "transcription")  # fmt: skip
        self.sim.clock.after(seconds, lambda: self._transcript(call, session, text, True),
                             "transcription")  # fmt: skip

    def _transcript(self, call: Call, session: dict[str, Any], text: str, final: bool) -> None:
        if not call.alive or call.media.transcription is not session:
            return
        data: dict[str, Any] = {"transcript": text, "confidence": CONFIDENCE, "is_final": final}
        if session["engine"] in ("B", "Telnyx"):
            data["transcription_track"] = "inbound"
        self.sim.emit("call.transcription", call, {"transcription_data": data})

    # --- recordings --------------------------------------------------------------------------

    def _record_start(self, call: Call, body: dict[str, Any]) -> None:
        _need_answered(call, "record_start")
        max_length = body.get("max_length", 0)
        if not 0 <= max_length <= 14400:
            raise invalid(f"'max_length' is {max_length}; it must be 0-14400", "max_length")
        self.start_recording(call, self.sim.new_id(), fmt=body["format"],
                             channels=body["channels"], max_length=max_length,
                             timeout_secs=body.get("timeout_secs", 0),
                             trim=body.get("trim") == "trim-silence",
                             transcription=bool(body.get("transcription")),
                             engine=body.get("transcription_engine"))  # fmt: skip
        if body.get("play_beep"):
            self.sim.note(call, "hear", play="beep")

    def record_from_answer(self, call: Call, body: dict[str, Any], recording_id: str | None = None
                           ) -> Recording:  # fmt: skip
        """The recording `answer` or `dial` asks for with `record: record-from-answer`."""
        return self.start_recording(call, recording_id or self.sim.new_id(),
                                    fmt=body.get("record_format", "mp3"),
                                    channels=body.get("record_channels", "single"),
                                    max_length=body.get("record_max_length", 0),
                                    timeout_secs=body.get("record_timeout_secs", 0),
                                    trim=body.get("record_trim") == "trim-silence")  # fmt: skip

    def start_recording(self, call: Call, recording_id: str, *, fmt: str, channels: str,
                        max_length: float = 0, timeout_secs: float = 0, trim: bool = False,
                        transcription: bool = False, engine: str | None = None) -> Recording:  # fmt: skip
        rec = Recording(recording_id, fmt, channels, self.sim.now, float(max_length),
                        float(timeout_secs), trim, transcription, engine)  # fmt: skip
        call.media.recordings.append(rec)
        self.start_listening(call, "record")
        if max_length:
            rec.limit = self.sim.clock.after(
                float(max_length), lambda: self.finish_recording(call, rec), "recording")
        return rec

    def _record_stop(self, call: Call, body: dict[str, Any]) -> None:
        rec = self._running(call, body)
        self.finish_recording(call, rec)

    def _record_pause(self, call: Call, body: dict[str, Any]) -> None:
        self._running(call, body).paused = True

    def _record_resume(self, call: Call, body: dict[str, Any]) -> None:
        self._running(call, body).paused = False

    def _running(self, call: Call, body: dict[str, Any]) -> Recording:
        running = call.media.recording
        if "recording_id" in body:
            running = [r for r in running if r.id == body["recording_id"]]
        if not running:
            raise wrong_state(f"no recording is running on {call.id}")
        return running[-1]

    def heard_talk(self, call: Call, seconds: float) -> None:
        self._hear_talk(call, seconds, words=[])

    def _hear_talk(self, call: Call, seconds: float, *, words: list[str]) -> None:
        for rec in call.media.recording:
            if rec.paused:
                continue
            rec.talked += seconds
            rec.words += words
            if rec.timeout_secs:  # the silence clock restarts when the talking stops
                if rec.silence is not None:
                    rec.silence.cancel()
                rec.silence = self.sim.clock.after(seconds + rec.timeout_secs,
                                                   lambda r=rec: self.finish_recording(call, r),
                                                   "recording")  # fmt: skip

    def finish_recording(self, call: Call, rec: Recording) -> None:
        """The recording ends now; it is saved a second later (even after a hang-up)."""
        if rec.ended_at is not None:
            return
        for timer in (rec.limit, rec.silence):
            if timer is not None:
                timer.cancel()
        rec.ended_at = self.sim.now
        if not call.media.recording:
            self.stop_listening(call, "record")
        self.sim.clock.after(SAVE_SECONDS, lambda: self._saved(call, rec), "recording")

    def _saved(self, call: Call, rec: Recording) -> None:
        sim = self.sim
        rec.saved = True
        url = f"{sim.recording_base_url}/sim/recordings/{rec.id}.{rec.format}"
        ended = rec.started_at + min(rec.talked, (rec.ended_at or 0) - rec.started_at) \
            if rec.trim else rec.ended_at  # fmt: skip
        sim.emit("call.recording.saved", call, {
            "recording_id": rec.id, "format": rec.format, "channels": rec.channels,
            "recording_started_at": sim.clock.iso(rec.started_at),
            "recording_ended_at": sim.clock.iso(ended),
            "recording_urls": {rec.format: url}, "public_recording_urls": {rec.format: url},
        })  # fmt: skip
        if rec.transcription:
            sim.clock.after(TRANSCRIBE_SECONDS, lambda: sim.emit(
                "call.recording.transcription.saved", call, {
                    "recording_id": rec.id, "recording_transcription_id": sim.new_id(),
                    "status": "completed", "transcription_text": " ".join(rec.words),
                    "calling_party_type": "pstn",
                }), "transcription")  # fmt: skip

    # --- the call's life ---------------------------------------------------------------------

    def call_answered(self, call: Call) -> None:
        dial = call.dial
        if call.direction == "outgoing" and dial.get("record") == "record-from-answer":
            self.record_from_answer(call, dial, dial.get("recording_id"))

    def call_ending(self, call: Call) -> None:
        media = call.media
        if media.gather is not None:
            self._end_gather(call, media.gather, "call_hangup")
        for item in list(media.overlays):
            self._end(call, item, "call_hangup")
        pending, media.queue = list(media.queue), deque()
        if media.current is not None:
            current, media.current = media.current, None
            if current.timer is not None:
                current.timer.cancel()
            self._report_end(call, current, "call_hangup")
        for item in pending:
            self._report_end(call, item, "call_hangup")
        media.transcription = None
        media.listeners.clear()

    def call_ended(self, call: Call) -> None:
        for rec in call.media.recording:
            self.finish_recording(call, rec)


def _stopped(item: Audio) -> str:
    return "completed" if item.kind == "speak" else "cancelled"


def _need_answered(call: Call, command: str) -> None:
    if not call.answered:
        raise wrong_state(f"{command}: {call.id} has not been answered yet")


__all__ = ["CallMedia", "Media", "Recording", "loops_of", "play_seconds", "speak_seconds"]
