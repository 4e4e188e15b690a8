"""Queues and conferences: where calls wait for each other.

Queues (§4): `enqueue` creates the queue on first use (capacity `max_size`, default 100) and
reports `call.enqueued`; a call leaves with `call.dequeued` and its reason: `bridged` (a
`bridge` with it, or with the queue's head through `bridge`'s `queue`), `leave`
(`leave_queue`), `timeout` (`max_wait_time_secs`) or `hangup`. `GET /queues/{name}/calls`
lists the waiting calls, head first.

Conferences (§3): `POST /conferences` makes a room with its creator in it; `join`, `leave`,
`mute`/`unmute`, `hold`/`unhold`, `end`, `play`/`speak`/`stop`, `record_start`/`_stop`.
Conference webhooks carry the room's `client_state` (the creator's). A room made with
`start_conference_on_create: false` holds its participants (`call.hold`) until one joins with
`start_conference_on_enter: true` (`call.unhold` to all). It ends when its last participant
leaves (`all_left`), when a participant with `end_conference_on_exit` leaves (`host_left`;
everyone else is hung up), after `duration_minutes` (`time_exceeded`), or with `end` (no
reason: the SDK's event enumeration has none for it); its recording is saved then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from texml.sim.component import CallHandler, Component, Handler
from texml.sim.errors import SimError, invalid, not_found, wrong_state
from texml.sim.media import play_seconds, speak_seconds

if TYPE_CHECKING:
    from texml.sim.clock import Timer
    from texml.sim.core import Call
    from texml.sim.schema import Route

DEFAULT_QUEUE_SIZE = 100
ROOM_HOURS = 4  # an empty-or-not room expires after this (Telnyx)
SAVE_SECONDS = 1.0


@dataclass(eq=False)
class Queue:
    id: str
    name: str
    max_size: int
    created_at: float
    updated_at: float
    calls: list[str] = field(default_factory=list)  # call ids, head first
    entered: dict[str, float] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)  # of calls that have left


@dataclass(eq=False)
class Participant:
    id: str
    call_id: str
    joined_at: float
    muted: bool = False
    on_hold: bool = False
    end_conference_on_exit: bool = False
    soft_end_conference_on_exit: bool = False
    status: str = "joined"
    updated_at: float = 0.0


@dataclass(eq=False)
class Conference:
    id: str
    name: str
    creator: str  # call id
    creator_session: str
    client_state: str | None
    connection_id: str
    created_at: float
    max_participants: int
    started: bool
    hold_audio_url: str | None = None
    participants: dict[str, Participant] = field(default_factory=dict)  # by call id
    status: str = "in_progress"
    end_reason: str | None = None
    ended_at: float | None = None
    updated_at: float = 0.0
    recording: dict[str, Any] | None = None
    timer: Timer | None = None


class Rooms(Component):
    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.queues: dict[str, Queue] = {}
        self.conferences: dict[str, Conference] = {}
        self.recording_ids: set[str] = set()  # conference recordings made

    def actions(self) -> dict[str, CallHandler]:
        return {"enqueue": self._enqueue, "leave_queue": self._leave_queue}

    def endpoints(self) -> dict[Route, Handler]:
        rooms = "/conferences/{id}/actions/"
        routes: dict[Route, Handler] = {
            ("GET", "/queues"): self._list_queues,
            ("POST", "/queues"): self._create_queue,
            ("GET", "/queues/{queue_name}"): self._get_queue,
            ("POST", "/queues/{queue_name}"): self._update_queue,
            ("DELETE", "/queues/{queue_name}"): self._delete_queue,
            ("GET", "/queues/{queue_name}/calls"): self._list_queue_calls,
            ("GET", "/queues/{queue_name}/calls/{call_control_id}"): self._get_queue_call,
            ("PATCH", "/queues/{queue_name}/calls/{call_control_id}"): self._update_queue_call,
            ("DELETE", "/queues/{queue_name}/calls/{call_control_id}"): self._remove_queue_call,
            ("POST", "/conferences"): self._create,
            ("GET", "/conferences"): self._list,
            ("GET", "/conferences/{id}"): self._get,
            ("GET", "/conferences/{conference_id}/participants"): self._participants,
            ("GET", "/conferences/{id}/participants/{participant_id}"): self._participant,
            ("PATCH", "/conferences/{id}/participants/{participant_id}"): self._update_participant,
        }
        for action, handler in {
            "join": self._join, "leave": self._leave, "mute": self._mute, "unmute": self._unmute,
            "hold": self._hold, "unhold": self._unhold, "end": self._end, "play": self._play,
            "speak": self._speak, "stop": self._stop, "record_start": self._record_start,
            "record_stop": self._record_stop, "record_pause": self._record_flag,
            "record_resume": self._record_flag, "update": self._update,
            "send_dtmf": self._send_dtmf, "gather_using_audio": self._gather_using_audio,
        }.items():  # fmt: skip
            routes[("POST", rooms + action)] = _in_room(self, handler)
        return routes

    # --- queues ------------------------------------------------------------------------------

    def _enqueue(self, call: Call, body: dict[str, Any]) -> None:
        if not call.answered:
            raise wrong_state(f"enqueue: {call.id} has not been answered yet")
        if call.queue is not None:
            raise wrong_state(f"{call.id} is already waiting in queue {call.queue!r}")
        name = str(body["queue_name"])
        if not 1 <= len(name) <= 255:
            raise invalid("'queue_name' must be 1-255 characters", "queue_name")
        queue = self.queues.get(name) or self._new_queue(name, body.get("max_size"))
        if len(queue.calls) >= queue.max_size:
            raise SimError(422, "90035", "Queue full",
                           f"queue {name!r} is full ({queue.max_size} calls)")  # fmt: skip
        queue.calls.append(call.id)
        queue.entered[call.id] = self.sim.now
        call.queue = name
        self.sim.emit("call.enqueued", call, {
            "queue": name, "current_position": len(queue.calls),
            "queue_avg_wait_time_secs": self._average_wait(queue),
        })  # fmt: skip
        if "max_wait_time_secs" in body:
            self.sim.at(call, body["max_wait_time_secs"],
                        lambda: self.leave_queue(call, "timeout"), "queue-wait")  # fmt: skip

    def _leave_queue(self, call: Call, body: dict[str, Any]) -> None:
        if call.queue is None:
            raise wrong_state(f"{call.id} is not waiting in a queue")
        self.leave_queue(call, "leave")

    def leave_queue(self, call: Call, reason: str) -> None:
        """Take `call` out of its queue: `call.dequeued` with `reason`."""
        queue = self.queues.get(call.queue or "")
        call.queue = None
        call.cancel_timer("queue-wait")
        if queue is None or call.id not in queue.calls:
            return
        position = queue.calls.index(call.id) + 1
        queue.calls.remove(call.id)
        waited = self.sim.now - queue.entered.pop(call.id, self.sim.now)
        queue.waits.append(waited)
        self.sim.emit("call.dequeued", call, {
            "queue": queue.name, "queue_position": position, "reason": reason,
            "wait_time_secs": int(waited),
        })  # fmt: skip

    def head_of_queue(self, name: str) -> Call:
        """The call that has waited longest in `name` (for `bridge` with `queue`)."""
        queue = self.queues.get(name)
        if queue is None or not queue.calls:
            raise invalid(f"queue {name!r} has no call waiting", "queue")
        return self.sim.calls[queue.calls[0]]

    def _new_queue(self, name: str, max_size: Any = None) -> Queue:
        size = max_size if isinstance(max_size, int) and max_size > 0 else DEFAULT_QUEUE_SIZE
        queue = Queue(self.sim.new_id(), name, size, self.sim.now, self.sim.now)
        self.queues[name] = queue
        return queue

    def _average_wait(self, queue: Queue) -> int:
        return int(sum(queue.waits) / len(queue.waits)) if queue.waits else 0

    def _queue(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise not_found("queue", name)
        return queue

    def _queue_json(self, queue: Queue) -> dict[str, Any]:
        iso = self.sim.clock.iso
        return {
            "id": queue.id, "name": queue.name, "record_type": "queue",
            "average_wait_time_secs": self._average_wait(queue),
            "current_size": len(queue.calls), "max_size": queue.max_size,
            "created_at": iso(queue.created_at), "updated_at": iso(queue.updated_at),
        }  # fmt: skip

    def _queue_call_json(self, queue: Queue, call_id: str) -> dict[str, Any]:
        call = self.sim.calls[call_id]
        entered = queue.entered.get(call_id, self.sim.now)
        return {
            "call_control_id": call.id, "call_leg_id": call.leg_id,
            "call_session_id": call.session_id, "connection_id": call.connection_id,
            "from": call.from_, "to": call.to, "queue_id": queue.id,
            "queue_position": queue.calls.index(call_id) + 1, "record_type": "queue_call",
            "enqueued_at": self.sim.clock.iso(entered),
            "wait_time_secs": int(self.sim.now - entered), "is_alive": call.alive,
        }  # fmt: skip

    def _list_queues(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        return 200, _page([self._queue_json(q) for q in self.queues.values()], query)

    def _create_queue(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict]:
        name = str(body["queue_name"])
        if name in self.queues:
            raise SimError(422, "10015", "Queue exists", f"queue {name!r} already exists")
        return 200, {"data": self._queue_json(self._new_queue(name, body.get("max_size")))}

    def _get_queue(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        return 200, {"data": self._queue_json(self._queue(params["queue_name"]))}

    def _update_queue(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict]:
        queue = self._queue(params["queue_name"])
        if body["max_size"] < 1:
            raise invalid("'max_size' must be at least 1", "max_size")
        queue.max_size, queue.updated_at = body["max_size"], self.sim.now
        return 200, {"data": self._queue_json(queue)}

    def _delete_queue(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        queue = self._queue(params["queue_name"])
        for call_id in list(queue.calls):
            self.leave_queue(self.sim.calls[call_id], "leave")
        del self.queues[queue.name]
        return 204, {}

    def _list_queue_calls(self, params: dict[str, str], query: dict[str, Any]
                          ) -> tuple[int, dict]:  # fmt: skip
        queue = self._queue(params["queue_name"])
        return 200, _page([self._queue_call_json(queue, c) for c in queue.calls], query)

    def _queued(self, params: dict[str, str]) -> tuple[Queue, str]:
        queue = self._queue(params["queue_name"])
        if params["call_control_id"] not in queue.calls:
            raise not_found("call in queue " + repr(queue.name), params["call_control_id"])
        return queue, params["call_control_id"]

    def _get_queue_call(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        queue, call_id = self._queued(params)
        return 200, {"data": self._queue_call_json(queue, call_id)}

    def _update_queue_call(self, params: dict[str, str], body: dict[str, Any]
                           ) -> tuple[int, dict]:  # fmt: skip
        self._queued(params)
        return 204, {}

    def _remove_queue_call(self, params: dict[str, str], query: dict[str, Any]
                           ) -> tuple[int, dict]:  # fmt: skip
        _, call_id = self._queued(params)
        self.leave_queue(self.sim.calls[call_id], "leave")
        return 204, {}

    # --- conferences -------------------------------------------------------------------------

    def _create(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict]:
        sim = self.sim
        call = sim.live_call(str(body["call_control_id"]), "call_control_id")
        self._can_enter(call)
        size = body.get("max_participants", 250)
        if not 2 <= size <= 800:
            raise invalid(f"'max_participants' is {size}; it must be 2-800", "max_participants")
        if "client_state" in body:
            call.client_state = body["client_state"]
        room = Conference(
            id=sim.new_id(), name=str(body["name"]), creator=call.id,
            creator_session=call.session_id, client_state=call.client_state,
            connection_id=call.connection_id, created_at=sim.now, max_participants=size,
            started=body.get("start_conference_on_create", True), updated_at=sim.now,
            hold_audio_url=body.get("hold_audio_url") or body.get("hold_media_name"),
        )  # fmt: skip
        room.status = "in_progress" if room.started else "init"
        self.conferences[room.id] = room
        self._room_event("conference.created", room, call)
        if "duration_minutes" in body:
            room.timer = sim.clock.after(body["duration_minutes"] * 60,
                                         lambda: self.end_conference(room, "time_exceeded"),
                                         "conference")  # fmt: skip
        self._enter(room, call, {})
        return 200, {"data": self._room_json(room)}

    def _can_enter(self, call: Call) -> None:
        if not call.answered:
            raise wrong_state(f"{call.id} must be answered before it joins a conference")
        if call.conference is not None:
            raise wrong_state(f"{call.id} is already in conference {call.conference}")

    def _enter(self, room: Conference, call: Call, body: dict[str, Any]) -> None:
        if call.queue is not None:
            self.leave_queue(call, "bridged")
        if call.bridged_with is not None:
            self.sim.unbridge(call)
        if body.get("start_conference_on_enter") and not room.started:
            self._start(room)
        held = bool(body.get("hold")) or not room.started
        member = Participant(self.sim.new_id(), call.id, self.sim.now,
                             muted=bool(body.get("mute")), on_hold=held,
                             end_conference_on_exit=bool(body.get("end_conference_on_exit")),
                             soft_end_conference_on_exit=bool(
                                 body.get("soft_end_conference_on_exit")),
                             updated_at=self.sim.now)  # fmt: skip
        room.participants[call.id] = member
        call.conference = room.id
        self._room_event("conference.participant.joined", room, call)
        if held:
            self.sim.emit("call.hold", call)
            music = body.get("hold_audio_url") or room.hold_audio_url
            if music:
                self.sim.note(call, "hear", play=str(music))

    def _start(self, room: Conference) -> None:
        room.started = True
        room.status = "in_progress"
        for member in room.participants.values():
            if member.on_hold:
                member.on_hold = False
                self.sim.emit("call.unhold", self.sim.calls[member.call_id])

    def _join(self, room: Conference, body: dict[str, Any]) -> None:
        call = self.sim.live_call(str(body["call_control_id"]), "call_control_id")
        self._can_enter(call)
        if len(room.participants) >= room.max_participants:
            raise SimError(422, "90036", "Conference full",
                           f"conference {room.name!r} has {room.max_participants} participants")  # fmt: skip
        if "client_state" in body:
            call.client_state = body["client_state"]
            if call.id == room.creator:
                room.client_state = body["client_state"]
        self._enter(room, call, body)

    def _leave(self, room: Conference, body: dict[str, Any]) -> None:
        call = self.sim.live_call(str(body["call_control_id"]), "call_control_id")
        if call.id not in room.participants:
            raise wrong_state(f"{call.id} is not in conference {room.name!r}")
        self._exit(room, call)

    def _exit(self, room: Conference, call: Call) -> None:
        """`call` leaves the room (it stays up, parked); the room may end with it."""
        member = room.participants.pop(call.id)
        call.conference = None
        self._room_event("conference.participant.left", room, call)
        if member.end_conference_on_exit:
            self.end_conference(room, "host_left")
        elif member.soft_end_conference_on_exit:
            self.end_conference(room, "host_left", hang_up=False)
        elif not room.participants:
            self.end_conference(room, "all_left")

    def end_conference(self, room: Conference, reason: str | None, *, hang_up: bool = True) -> None:
        """End the room: everyone leaves (and is hung up, unless a soft end), its recording is
        saved, `conference.ended`."""
        if room.status == "completed":
            return
        sim = self.sim
        room.status, room.ended_at, room.updated_at = "completed", sim.now, sim.now
        room.end_reason = reason or "ended_via_api"
        if room.timer is not None:
            room.timer.cancel()
        for call_id in list(room.participants):
            call = sim.calls[call_id]
            room.participants.pop(call_id)
            call.conference = None
            self._room_event("conference.participant.left", room, call)
            if hang_up:
                sim.end_call(call, "normal_clearing", "callee" if call.direction == "incoming"
                             else "caller")  # fmt: skip
        self._finish_recording(room)
        creator = sim.calls.get(room.creator)
        payload = {"reason": reason} if reason in ("all_left", "host_left", "time_exceeded") else {}
        self._room_event("conference.ended", room, creator, payload)

    def _room_event(self, event_type: str, room: Conference, call: Call | None,
                    payload: dict[str, Any] | None = None) -> None:  # fmt: skip
        common = call.common() if call is not None else {}
        common.update(client_state=room.client_state, connection_id=room.connection_id)
        self.sim.emit(event_type, call, {"conference_id": room.id, **(payload or {})},
                      common=common)  # fmt: skip

    def _mute(self, room: Conference, body: dict[str, Any]) -> None:
        for member in self._targets(room, body):
            member.muted = True

    def _unmute(self, room: Conference, body: dict[str, Any]) -> None:
        for member in self._targets(room, body):
            member.muted = False

    def _hold(self, room: Conference, body: dict[str, Any]) -> None:
        for member in self._targets(room, body):
            if not member.on_hold:
                member.on_hold = True
                call = self.sim.calls[member.call_id]
                self.sim.emit("call.hold", call)
                if body.get("audio_url") or body.get("media_name"):
                    music = body.get("audio_url") or body["media_name"]
                    self.sim.note(call, "hear", play=str(music))

    def _unhold(self, room: Conference, body: dict[str, Any]) -> None:
        for member in self._targets(room, body):
            if member.on_hold:
                member.on_hold = False
                self.sim.emit("call.unhold", self.sim.calls[member.call_id])

    def _targets(self, room: Conference, body: dict[str, Any]) -> list[Participant]:
        ids = body.get("call_control_ids") or list(room.participants)
        missing = [i for i in ids if i not in room.participants]
        if missing:
            raise invalid(f"not in conference {room.name!r}: {', '.join(missing)}",
                          "call_control_ids")  # fmt: skip
        return [room.participants[i] for i in ids]

    def _end(self, room: Conference, body: dict[str, Any]) -> None:
        self.end_conference(room, None)

    def _update(self, room: Conference, body: dict[str, Any]) -> None:
        self._targets(room, {"call_control_ids": [body["call_control_id"]]})

    def _play(self, room: Conference, body: dict[str, Any]) -> None:
        source = body.get("audio_url") or body.get("media_name")
        if not source or ("audio_url" in body and "media_name" in body):
            raise invalid("give one of audio_url and media_name", "audio_url")
        loops = body.get("loop", 1)
        key = "media_url" if "audio_url" in body else "media_name"
        self._room_audio(room, body, "playback", {key: source},
                         None if loops == "infinity" else play_seconds(str(source)) * int(loops),
                         hear={"play": str(source)})  # fmt: skip

    def _speak(self, room: Conference, body: dict[str, Any]) -> None:
        from texml.sim.media import plain_text

        text = str(body["payload"])
        self._room_audio(room, body, "speak", {}, speak_seconds(text),
                         hear={"say": plain_text(text)})  # fmt: skip

    def _room_audio(self, room: Conference, body: dict[str, Any], kind: str,
                    source: dict[str, Any], seconds: float | None,
                    hear: dict[str, str]) -> None:  # fmt: skip
        members = self._targets(room, body)
        extra = {"creator_call_session_id": room.creator_session, **source}
        self._room_event(f"conference.{kind}.started", room, None, extra)
        for member in members:
            self.sim.note(self.sim.calls[member.call_id], "hear", **hear)
        if seconds is not None:
            self.sim.clock.after(seconds, lambda: self._room_audio_ended(room, kind, extra),
                                 "conference")  # fmt: skip

    def _room_audio_ended(self, room: Conference, kind: str, extra: dict[str, Any]) -> None:
        if room.status != "completed":
            self._room_event(f"conference.{kind}.ended", room, None, extra)

    def _stop(self, room: Conference, body: dict[str, Any]) -> None:
        self._targets(room, body)

    def _send_dtmf(self, room: Conference, body: dict[str, Any]) -> None:
        for member in self._targets(room, body):
            self.sim.note(self.sim.calls[member.call_id], "hear", dtmf=str(body["digits"]))

    def _gather_using_audio(self, room: Conference, body: dict[str, Any]) -> None:
        call = self.sim.live_call(str(body["call_control_id"]), "call_control_id")
        if call.id not in room.participants:
            raise wrong_state(f"{call.id} is not in conference {room.name!r}")
        gather = {k: v for k, v in body.items() if k not in ("call_control_id", "gather_id")}
        if "client_state" in gather:
            call.client_state = gather.pop("client_state")
        self.sim.media.actions()["gather_using_audio"](call, gather)

    def _record_start(self, room: Conference, body: dict[str, Any]) -> None:
        if room.recording is not None:
            raise wrong_state(f"conference {room.name!r} is already being recorded")
        recording_id = self.sim.new_id()
        self.recording_ids.add(recording_id)
        room.recording = {"id": recording_id, "format": body["format"],
                          "channels": body.get("channels", "single"), "started_at": self.sim.now}  # fmt: skip

    def _record_stop(self, room: Conference, body: dict[str, Any]) -> None:
        if room.recording is None:
            raise wrong_state(f"conference {room.name!r} is not being recorded")
        self._finish_recording(room)

    def _record_flag(self, room: Conference, body: dict[str, Any]) -> None:
        if room.recording is None:
            raise wrong_state(f"conference {room.name!r} is not being recorded")

    def _finish_recording(self, room: Conference) -> None:
        rec, room.recording = room.recording, None
        if rec is None:
            return
        sim = self.sim
        ended = sim.now

        def saved() -> None:
            url = f"{sim.recording_base_url}/sim/recordings/{rec['id']}.{rec['format']}"
            creator = sim.calls.get(room.creator)
            self._room_event("conference.recording.saved", room, creator, {
                "recording_id": rec["id"], "format": rec["format"], "channels": rec["channels"],
                "recording_started_at": sim.clock.iso(rec["started_at"]),
                "recording_ended_at": sim.clock.iso(ended),
                "recording_urls": {rec["format"]: url},
                "public_recording_urls": {rec["format"]: url},
            })  # fmt: skip

        sim.clock.after(SAVE_SECONDS, saved, "conference")

    # --- conference queries ------------------------------------------------------------------

    def _room(self, room_id: str) -> Conference:
        room = self.conferences.get(room_id)
        if room is None:
            raise not_found("conference", room_id)
        return room

    def _room_json(self, room: Conference) -> dict[str, Any]:
        iso = self.sim.clock.iso
        data: dict[str, Any] = {
            "id": room.id, "name": room.name, "record_type": "conference",
            "created_at": iso(room.created_at),
            "expires_at": iso(room.created_at + ROOM_HOURS * 3600),
            "updated_at": iso(room.updated_at), "connection_id": room.connection_id,
            "region": "US", "status": room.status,
        }  # fmt: skip
        if room.status == "completed":
            data["end_reason"] = room.end_reason
            creator = self.sim.calls.get(room.creator)
            if creator is not None:
                data["ended_by"] = {"call_control_id": creator.id,
                                    "call_session_id": creator.session_id}  # fmt: skip
        return data

    def _list(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        wanted = query.get("filter") or {}
        if not isinstance(wanted, dict):
            raise invalid("'filter' must be an object (filter[name]=...)", "filter")
        rooms = sorted(self.conferences.values(), key=lambda r: r.created_at, reverse=True)
        if "name" in wanted:
            rooms = [r for r in rooms if r.name == str(wanted["name"])]
        if "status" in wanted:
            rooms = [r for r in rooms if r.status == str(wanted["status"])]
        return 200, _page([self._room_json(r) for r in rooms], query)

    def _get(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        return 200, {"data": self._room_json(self._room(params["id"]))}

    def _participant_json(self, room: Conference, member: Participant) -> dict[str, Any]:
        call = self.sim.calls[member.call_id]
        iso = self.sim.clock.iso
        return {
            "id": member.id, "call_control_id": call.id, "call_leg_id": call.leg_id,
            "conference": {"id": room.id, "name": room.name}, "record_type": "participant",
            "created_at": iso(member.joined_at), "updated_at": iso(member.updated_at),
            "end_conference_on_exit": member.end_conference_on_exit,
            "soft_end_conference_on_exit": member.soft_end_conference_on_exit,
            "muted": member.muted, "on_hold": member.on_hold, "status": member.status,
            "whisper_call_control_ids": [],
        }  # fmt: skip

    def _participants(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        room = self._room(params["conference_id"])
        members = [self._participant_json(room, m) for m in room.participants.values()]
        return 200, _page(members, query)

    def _member(self, params: dict[str, str]) -> tuple[Conference, Participant]:
        room = self._room(params["id"])
        wanted = params["participant_id"]
        for member in room.participants.values():
            if wanted in (member.id, member.call_id):
                return room, member
        raise not_found("participant", wanted)

    def _participant(self, params: dict[str, str], query: dict[str, Any]) -> tuple[int, dict]:
        room, member = self._member(params)
        data = self._participant_json(room, member)
        data["conference_id"] = data.pop("conference")["id"]
        data.pop("record_type")
        return 200, {"data": data}

    def _update_participant(self, params: dict[str, str], body: dict[str, Any]
                            ) -> tuple[int, dict]:  # fmt: skip
        room, member = self._member(params)
        for key in ("end_conference_on_exit", "soft_end_conference_on_exit"):
            if key in body:
                setattr(member, key, body[key])
        member.updated_at = self.sim.now
        return self._participant({"id": room.id, "participant_id": member.id}, {})

    # --- the call's life ---------------------------------------------------------------------

    def call_ending(self, call: Call) -> None:
        if call.queue is not None:
            self.leave_queue(call, "hangup")
        room = self.conferences.get(call.conference or "")
        if room is not None and call.id in room.participants:
            self._exit(room, call)


def _in_room(rooms: Rooms, handler: Any) -> Handler:
    """A conference action: find the room (404), refuse an ended one (422), reply ok."""

    def run(params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        room = rooms._room(params["id"])
        if room.status == "completed":
            raise wrong_state(f"conference {room.name!r} has ended")
        handler(room, body)
        return 200, {"data": {"result": "ok"}}

    return run


def _page(items: list[dict[str, Any]], query: dict[str, Any]) -> dict[str, Any]:
    """A page of a list reply, with Telnyx's `meta`."""
    try:
        number = max(1, int(query.get("page[number]", 1)))
        size = max(1, min(250, int(query.get("page[size]", 20))))
    except (TypeError, ValueError):
        raise invalid("page[number] and page[size] must be whole numbers", "page") from None
    total = len(items)
    return {
        "data": items[(number - 1) * size: number * size],
        "meta": {"page_number": number, "page_size": size, "total_results": total,
                 "total_pages": max(1, -(-total // size))},
    }  # fmt: skip


__all__ = ["Conference", "Queue", "Rooms"]
