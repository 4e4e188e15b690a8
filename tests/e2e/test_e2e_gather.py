"""Whole calls with <Gather>: DTMF, speech, both, no input, invalid digits, barge-in."""

from __future__ import annotations

from calls import common_params_ok, doc


def echo(*keys: str):
    """A route body: a document saying the request's values of `keys`."""

    def body(params: dict[str, str]) -> str:
        said = " ".join(f"{k}={params.get(k, '-')}" for k in keys)
        return doc(f"<Say>{said}</Say>")

    return body


def test_dtmf_num_digits_posts_digits_to_the_action(app, play) -> None:
    app.route("/voice", doc(
        '<Gather action="/menu" numDigits="3" timeout="5"><Say>Enter three digits</Say></Gather>',
        "<Say>Not reached</Say>",
    ))  # fmt: skip
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["427"])
    call.check("completed", heard=["Enter three digits", "Digits=427"])
    assert call.commands()[:2] == ["answer", "gather_using_speak"]
    [menu] = app.requests_to("/menu")
    assert menu.method == "POST"
    common_params_ok(menu, call_id=call.call_id, status="in-progress")
    assert menu.params["Digits"] == "427"


def test_finish_on_key_ends_the_input_and_is_not_part_of_it(app, play) -> None:
    app.route("/voice", doc('<Gather action="/menu" finishOnKey="#" timeout="5"><Say>Account number</Say></Gather>'))
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["1234#"])
    call.check("completed", heard=["Account number", "Digits=1234"])
    [gather] = [d["body"] for d in call.of("command") if d["path"].endswith("/gather_using_speak")]
    assert gather["terminating_digit"] == "#"
    assert app.requests_to("/menu")[0].params["Digits"] == "1234"


def test_gather_method_get_sends_the_digits_in_the_query(app, play) -> None:
    app.route("/voice", doc('<Gather action="/menu" method="GET" numDigits="1"><Say>Press</Say></Gather>'))
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["5"])
    call.check("completed", heard=["Press", "Digits=5"])
    [menu] = app.requests_to("/menu")
    assert menu.method == "GET" and menu.form == {}
    assert menu.query["Digits"] == "5" and menu.query["CallSid"] == call.call_id


def test_speech_posts_speech_result_and_confidence(app, play) -> None:
    app.route("/voice", doc(
        '<Gather input="speech" action="/menu" language="en-US" hints="billing, sales">'
        "<Say>Say a department</Say></Gather>"
    ))  # fmt: skip
    app.route("/menu", echo("SpeechResult"))
    call = play("/voice", inputs=["speech:billing please"])
    call.check("completed", heard=["Say a department", "SpeechResult=billing please"])
    assert "transcription_start" in call.commands() and "transcription_stop" in call.commands()
    [menu] = app.requests_to("/menu")
    assert menu.params["SpeechResult"] == "billing please"
    assert 0 < float(menu.params["Confidence"]) <= 1
    assert "Digits" not in menu.params


def test_dtmf_speech_a_digit_wins(app, play) -> None:
    app.route("/voice", doc('<Gather input="dtmf speech" numDigits="1" action="/menu"><Say>Press or say</Say></Gather>'))
    app.route("/menu", echo("Digits", "SpeechResult"))
    call = play("/voice", inputs=["2"])
    call.check("completed", heard=["Press or say", "Digits=2 SpeechResult=-"])
    assert app.requests_to("/menu")[0].params["Digits"] == "2"
    assert "transcription_stop" in call.commands()  # the recognizer is stopped by the digit


def test_dtmf_speech_speech_wins(app, play) -> None:
    app.route("/voice", doc('<Gather input="dtmf speech" numDigits="1" action="/menu"><Say>Press or say</Say></Gather>'))
    app.route("/menu", echo("Digits", "SpeechResult"))
    call = play("/voice", inputs=["speech:support"])
    call.check("completed", heard=["Press or say", "Digits=- SpeechResult=support"])
    assert "gather_stop" in call.commands()  # the DTMF gather is stopped by the speech


def test_no_input_falls_through_to_the_next_verb(app, play) -> None:
    app.route("/voice", doc(
        '<Gather action="/menu" numDigits="1" timeout="2"><Say>Press a key</Say></Gather>',
        "<Say>We did not get your choice</Say>",
    ))  # fmt: skip
    app.route("/menu", echo("Digits"))
    call = play("/voice")
    call.check("completed", heard=["Press a key", "We did not get your choice"])
    assert app.paths() == ["/voice"]  # the action is not requested


def test_action_on_empty_result_requests_the_action_with_empty_digits(app, play) -> None:
    app.route("/voice", doc(
        '<Gather action="/menu" numDigits="1" timeout="2" actionOnEmptyResult="true"><Say>Press</Say></Gather>',
        "<Say>Not reached</Say>",
    ))  # fmt: skip
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["silence"])
    call.check("completed", heard=["Press", "Digits="])
    [menu] = app.requests_to("/menu")
    assert menu.params["Digits"] == ""


def test_invalid_digits_go_to_invalid_digits_action(app, play) -> None:
    app.route("/voice", doc(
        '<Gather action="/menu" invalidDigitsAction="/invalid" validDigits="123" numDigits="1">'
        "<Say>Press 1, 2 or 3</Say></Gather>"
    ))  # fmt: skip
    app.route("/menu", echo("Digits"))
    app.route("/invalid", echo("Digits"))
    call = play("/voice", inputs=["9"])
    call.check("completed", heard=["Press 1, 2 or 3", "Digits=9"])
    assert app.paths() == ["/voice", "/invalid"]
    [gather] = [d["body"] for d in call.of("command") if d["path"].endswith("/gather_using_speak")]
    assert gather["valid_digits"] == "123"


def test_gather_without_action_requests_the_current_document_again(app, play) -> None:
    def voice(params: dict[str, str]) -> str:
        if params.get("Digits"):
            return doc(f"<Say>Again with {params['Digits']}</Say>")
        return doc('<Gather numDigits="1"><Say>Press</Say></Gather>')

    app.route("/voice", voice)
    call = play("/voice", inputs=["7"])
    call.check("completed", heard=["Press", "Again with 7"])
    assert app.paths() == ["/voice", "/voice"]


def test_several_prompts_play_in_order_then_wait(app, play) -> None:
    app.route("/voice", doc(
        '<Gather action="/menu" numDigits="2" timeout="3">'
        "<Say>First</Say><Play>https://cdn.example.com/bed.mp3#2s</Play><Say>Last</Say></Gather>"
    ))  # fmt: skip
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["42"])
    # Prompts are heard to the end; the keys come after the last one.
    call.check("completed", heard=["First", "https://cdn.example.com/bed.mp3#2s", "Last", "Digits=42"])
    assert call.commands()[:3] == ["answer", "gather", "speak"]
    assert "playback_stop" not in call.commands()


def test_barge_in_stops_the_prompts_at_the_first_digit(app, play) -> None:
    app.route("/voice", doc(
        '<Gather action="/menu" numDigits="2" timeout="3">'
        '<Say>Welcome</Say><Play loop="0">https://cdn.example.com/hold.mp3</Play><Say>Never heard</Say></Gather>'
    ))  # fmt: skip
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["42"])
    call.check("completed", heard=["Welcome", "https://cdn.example.com/hold.mp3", "Digits=42"])
    commands = call.commands()
    stop = commands.index("playback_stop")
    assert commands[stop + 1:] == ["speak", "hangup"]  # nothing more of the prompts
    [body] = [d["body"] for d in call.of("command") if d["path"].endswith("/playback_stop")]
    assert body["stop"] == "all"


def test_caller_hangs_up_during_gather_requests_no_action(app, play) -> None:
    app.route("/voice", doc('<Gather action="/menu"><Say>Press</Say></Gather>', "<Say>Never</Say>"))
    app.route("/menu", echo("Digits"))
    call = play("/voice", inputs=["hangup"], status_callback="/status")
    call.check("completed", heard=["Press"])
    assert app.paths().count("/menu") == 0
    assert [p["CallStatus"] for p in (r.params for r in app.requests_to("/status"))][-1] == "completed"
