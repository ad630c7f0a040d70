"""Every limit and every kind of malformed request gets a 4xx (503/504 for load) with a JSON
error of one line — never a 500 — and a limit's error names the limit and its value."""

from __future__ import annotations

import threading
import time

import pytest

from .conftest import client_of, needs_serve

needs_serve()

JSON = {"content-type": "application/json"}


def _one_line(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert isinstance(body["error"], str) and "\n" not in body["error"] and body["error"]
    return body


@pytest.mark.parametrize("body, headers, status, needle", [
    (b'{"texts": ["good", ', JSON, 400, "not valid JSON"),
    (b'{"texts": ["caf\xe9"]}', JSON, 400, "not UTF-8 (byte 15)"),
    (b"", JSON, 400, "body is empty"),
    (b'{"texts": ["good"]}', {"content-type": "text/plain"}, 415, "application/json"),
    (b'{"texts": ["good"]}', {}, 415, "no content type"),
    (b'{"texts": []}', JSON, 422, "texts: List should have at least 1 item"),
    (b'{"texts": "good"}', JSON, 422, "texts: Input should be a valid list"),
    (b'{"texts": ["good", 3]}', JSON, 422, "texts[1]: Input should be a valid string"),
    (b'{"texts": [null]}', JSON, 422, "texts[0]: Input should be a valid string"),
    (b'{"text": ["good"]}', JSON, 422, "texts: Field required"),
    (b'{"texts": ["good"], "top": 3}', JSON, 422, "top: Extra inputs are not permitted"),
    (b'["good"]', JSON, 422, "valid dictionary"),
    (b"null", JSON, 422, "valid dictionary"),
])
def test_malformed_predict_requests(client, body, headers, status, needle):
    found = _one_line(client.post("/v1/predict", content=body, headers=headers), status)
    assert needle in found["error"]


@pytest.mark.parametrize("path, payload, needle", [
    ("/v1/explain", {"text": 5}, "text: Input should be a valid string"),
    ("/v1/explain", {"text": ""}, "text: String should have at least 1 character"),
    ("/v1/explain", {"text": "   "}, "text is blank"),
    ("/v1/explain", {"text": "good", "method": "lime"}, "method: Input should be"),
    ("/v1/explain", {"text": "good", "steps": 0}, "steps: Input should be greater than"),
    ("/v1/explain", {"text": "good", "steps": 8, "method": "occlusion"},
     "steps apply to integrated-gradients only"),
    ("/v1/explain", {"text": "good", "target": "Neutral"}, "not one of the classes"),
    ("/v1/explain", {"text": "good", "target": 1.5}, "target"),
    ("/v1/explain", {"text": "zzzq xxyy"}, "no word of the text reached the model"),
    ("/v1/inspect", {"texts": ["good"]}, "text: Field required"),
    ("/v1/inspect", {"text": "\t\n"}, "text is blank"),
])
def test_malformed_explain_and_inspect_requests(client, path, payload, needle):
    assert needle in _one_line(client.post(path, json=payload), 422)["error"]


def _limited(served_run, **limits):
    from rnnkit.serve.app import app_for
    from rnnkit.serve.limits import Limits
    return client_of(app_for(served_run, Limits(**limits)))


def test_size_limits_are_413_and_name_the_limit(served_run):
    with _limited(served_run, max_texts=3, max_chars=50, max_body_bytes=400,
                  queue_texts=16) as client:
        assert client.post("/v1/predict", json={"texts": ["good"] * 3}).status_code == 200
        found = _one_line(client.post("/v1/predict", json={"texts": ["good"] * 4}), 413)
        assert found["limit"]["name"] == "max_texts" and found["limit"]["value"] == 3
        assert client.post("/v1/predict", json={"texts": ["x" * 50]}).status_code == 200
        for path, body in (("/v1/predict", {"texts": ["good", "x" * 51]}),
                           ("/v1/explain", {"text": "x" * 51}),
                           ("/v1/inspect", {"text": "x" * 51})):
            found = _one_line(client.post(path, json=body), 413)
            assert found["limit"] == {"name": "max_chars", "value": 50,
                                      "means": "characters in one text"}
        found = _one_line(client.post("/v1/predict", json={"texts": ["y" * 45] * 9}), 413)
        assert found["limit"]["name"] == "max_body_bytes" and "400 bytes" in found["error"]


def test_a_body_without_content_length_is_cut_at_the_limit(served_run):
    def chunks():                                  # sent chunked: no Content-Length to check
        yield b'{"texts": ["'
        for _ in range(100):
            yield b"good film " * 10
        yield b'"]}'

    with _limited(served_run, max_body_bytes=2000, max_chars=1000) as client:
        found = _one_line(client.post("/v1/predict", content=chunks(), headers=JSON), 413)
        assert found["limit"]["name"] == "max_body_bytes"


def test_steps_past_max_steps_are_refused_with_the_limit(served_run):
    with _limited(served_run, max_steps=100) as client:
        found = _one_line(client.post("/v1/explain", json={"text": "good", "steps": 101}), 422)
        assert found["limit"] == {"name": "max_steps", "value": 100, "means":
                                  "integrated-gradients steps one /v1/explain request may ask for"}
        assert client.post("/v1/explain", json={"text": "good", "steps": 100}).status_code == 200


class Gated:
    """A classifier whose predictions and explanations wait until ``gate`` opens."""

    def __init__(self, classifier):
        self.inner, self.gate, self.entered = classifier, threading.Event(), threading.Event()
        self.model_, self.encoder_, self.classes = (classifier.model_, classifier.encoder_,
                                                    classifier.classes)

    def predict_details(self, texts):
        self.entered.set()
        self.gate.wait(10)
        return self.inner.predict_details(texts)

    def explain(self, *args, **kwargs):
        self.gate.wait(10)
        return self.inner.explain(*args, **kwargs)


def _gated_client(classifier, served_run, **limits):
    from rnnkit.serve.app import create_app
    from rnnkit.serve.limits import Limits
    from rnnkit.serve.model_card import model_card
    limits = Limits(**limits)
    gated = Gated(classifier)
    return gated, client_of(create_app(gated, model_card(classifier, served_run, limits),
                                       limits))


def _in_background(call):
    found = {}
    thread = threading.Thread(target=lambda: found.setdefault("answer", call()))
    thread.start()
    return thread, found


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_full_queue_answers_503_at_once(classifier, served_run):
    gated, client = _gated_client(classifier, served_run, max_texts=4, queue_texts=6,
                                  batch_wait_ms=0)
    with client:
        batcher = client.app.state.batcher
        busy, first = _in_background(lambda: client.post("/v1/predict", json={"texts": ["a"]}))
        assert gated.entered.wait(10)                  # the worker holds "a" in its pass
        queued, second = _in_background(lambda: client.post("/v1/predict",
                                                             json={"texts": ["b"] * 4}))
        _wait_for(lambda: batcher.waiting == 4)
        start = time.perf_counter()
        found = _one_line(client.post("/v1/predict", json={"texts": ["c"] * 3}), 503)
        assert time.perf_counter() - start < 0.5       # refused at once, not after a wait
        assert found["limit"]["name"] == "queue_texts" and found["limit"]["value"] == 6
        assert client.get("/readyz").json()["queue_texts"] == 4
        gated.gate.set()
        busy.join(10), queued.join(10)
        assert first["answer"].status_code == 200 and second["answer"].status_code == 200
        assert len(second["answer"].json()["results"]) == 4


def test_a_slow_answer_is_504_and_its_texts_leave_the_queue(classifier, served_run):
    gated, client = _gated_client(classifier, served_run, timeout_s=0.2)
    with client:
        batcher = client.app.state.batcher
        busy, first = _in_background(lambda: client.post("/v1/predict", json={"texts": ["a"]}))
        assert gated.entered.wait(10)
        found = _one_line(client.post("/v1/predict", json={"texts": ["b", "c"]}), 504)
        assert found["limit"]["name"] == "timeout_s"
        busy.join(10)
        assert first["answer"].status_code == 504
        gated.gate.set()
        assert client.post("/v1/predict", json={"texts": ["d"]}).status_code == 200
        assert batcher.waiting == 0


def test_explanations_beyond_queue_requests_are_503(classifier, served_run):
    gated, client = _gated_client(classifier, served_run, queue_requests=2)
    with client:
        held = [_in_background(lambda: client.post("/v1/explain", json={"text": "good"}))
                for _ in range(2)]
        _wait_for(lambda: client.app.state.pool.held == 2)     # one running, one waiting
        found = _one_line(client.post("/v1/explain", json={"text": "good"}), 503)
        assert found["limit"]["name"] == "queue_requests"
        assert _one_line(client.post("/v1/inspect", json={"text": "good"}), 503)
        gated.gate.set()
        for thread, answer in held:
            thread.join(10)
            assert answer["answer"].status_code == 200
        assert client.post("/v1/explain", json={"text": "good"}).status_code == 200


def test_limits_that_cannot_work_are_refused():
    from rnnkit.serve.limits import Limits, LimitSettingError
    with pytest.raises(LimitSettingError, match="max_texts = 0: use a positive number"):
        Limits(max_texts=0)
    with pytest.raises(LimitSettingError, match="raise it to at least 64"):
        Limits(queue_texts=10)
    with pytest.raises(LimitSettingError, match="batch_wait_ms"):
        Limits(batch_wait_ms=-1)
