"""A Call Control simulator: Telnyx's Voice API and the people on the phone, on a virtual clock.

```python
from texml.sim import Simulator, CallerScript, DialOutcome, parse_input_item, parse_dial_outcome

sim = Simulator(connection_id="sim-connection", clock_start=0.0)
call_id = sim.start_inbound_call(from_="+15550001111", to="+15550002222",
                                 caller=CallerScript(["1", "speech:sales", "hangup"]),
                                 dial={"+15550100001": DialOutcome("busy"), "*": DialOutcome()})
status, reply = sim.command("POST", f"/calls/{call_id}/actions/answer", {})
sim.next_time()      # when the next webhook is due (None: nothing more will happen)
sim.advance(t)       # move the clock to t; the webhook envelopes due by then, in order
sim.log              # trace entries ({"t", "call", "kind": "hear" | "input" | "dial" | "sim"})
sim.call(call_id)    # status, hang-up cause, legs, queue, recordings, ...
```

Modules: `script` (the scenario: input items, dial outcomes), `clock` (virtual time), `core`
(calls, legs, dialing, bridging, the command router), `component` (what the parts share),
`caller` (when the people on the line act), `media` (speak, playback, gather, record,
transcription), `rooms` (queues, conferences), `services` (AMD, refer, streaming, SIPREC,
suppression, forking), `assistants` (gather_using_ai, AI assistants, Conversation Relay), `pay`,
`webhooks` (envelopes, signatures), `schema` + `fields` (request validation), `errors`
(Telnyx-shaped refusals), `server` (the ASGI app) and `serve` (`texml sim`).
"""

from texml.sim.core import Simulator
from texml.sim.script import (
    CallerScript,
    DialOutcome,
    InputItem,
    parse_dial_outcome,
    parse_input_item,
)  # fmt: skip

__all__ = [
    "CallerScript", "DialOutcome", "InputItem", "Simulator", "parse_dial_outcome",
    "parse_input_item",
]  # fmt: skip
