"""`<Redirect>` -> no command: the step ends at once with the next document to request."""

from __future__ import annotations

from compiler.step import Action, Done, Effect, Step
from verbs import Redirect


class RedirectStep(Step[Redirect]):
    def start(self) -> list[Effect]:
        url = self.ctx.url(self.verb.text)
        assert url is not None  # text is required
        return self.finish(Done(action=Action(url, self.verb.method)))
