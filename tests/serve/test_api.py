"""Every endpoint answers what it documents, and /v1/predict answers exactly what the loaded
classifier computes for the same texts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import REVIEW, needs_serve

needs_serve()

TEXTS = [REVIEW, "bad awful boring", "", "great great fun film", "unknownword zzz",
         " ".join(["the plot was good"] * 10)]          # cut by maxlen 12


def test_predict_gives_the_classifiers_records_and_probabilities(client, classifier):
    answer = client.post("/v1/predict", json={"texts": TEXTS})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert results == json.loads(json.dumps(classifier.predict_details(TEXTS)))
    non_empty = [i for i, t in enumerate(TEXTS) if t]
    served = np.array([list(results[i]["probabilities"].values()) for i in non_empty])
    np.testing.assert_array_equal(served, classifier.predict_proba([TEXTS[i] for i in non_empty]))
    assert results[2]["error"] == "empty text" and results[2]["label"] is None
    assert results[4]["unknown_tokens"] == 2 and results[5]["truncated"]
    assert [r["text"] for r in results] == TEXTS                        # one each, in order


def test_explain_is_the_classifiers_explanation(client, classifier):
    for method in ("integrated-gradients", "gradient-x-input", "occlusion"):
        answer = client.post("/v1/explain", json={"text": REVIEW, "method": method})
        assert answer.status_code == 200, answer.text
        assert answer.json() == json.loads(json.dumps(classifier.explain(REVIEW, method)
                                                      .as_json()))
    target = client.post("/v1/explain", json={"text": REVIEW, "target": "Negative",
                                              "steps": 32}).json()
    assert target["label"] == "Negative" and target["steps"] == 32


def test_inspect_gives_each_words_gates_and_states(client, classifier):
    from rnnkit.insight import inspect_text
    answer = client.post("/v1/inspect", json={"text": "the film was wonderful"})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    seen = inspect_text(classifier.model_, "the film was wonderful", classifier.encoder_)
    shown = [i for i, s in enumerate(seen.statuses) if s != "padding"]
    assert [p["label"] for p in found["positions"]] == ["the", "film", "was", "wonderful"]
    assert [p["position"] for p in found["positions"]] == shown
    (layer,) = found["layers"]
    assert layer["cell"] == "GRUCell" and layer["units"] == 6
    series = {s["name"]: s for s in layer["series"]}
    assert list(series) == ["z", "r", "h_hat", "h"]
    assert series["z"]["kind"] == "gate" and series["h"]["kind"] == "unit"
    np.testing.assert_allclose(series["h"]["values"], seen.layers[0].states["h"][0, shown],
                               atol=5e-5)
    assert found["prediction"]["label"] == classifier.predict(["the film was wonderful"])[0]


def test_model_card(client, served_run, classifier):
    import rnnkit
    card = client.get("/v1/model").json()
    metrics = json.loads((served_run / "metrics.json").read_text())
    assert card["classes"] == [{"name": "Negative", "value": "neg"},
                               {"name": "Positive", "value": "pos"}]
    assert card["recipe"]["name"] == "tiny" and card["recipe"]["config"]["data"]["maxlen"] == 12
    assert card["maxlen"] == 12 and card["vocabulary_size"] == 22        # the CSV's 22 words
    assert card["test_metrics"]["test_accuracy"] == metrics["test_accuracy"]
    assert card["rnnkit_version"] == rnnkit.__version__
    assert [layer["type"] for layer in card["architecture"]["layers"]] == \
        ["TokenizerEncoding", "Embedding", "GRU", "Dense"]
    assert card["architecture"]["params"] == classifier.model_.count_params()
    assert "gru (GRU)" in card["architecture"]["summary"]
    assert card["recurrent_layers"] == [{"layer": "gru", "type": "GRU", "cell": "GRUCell",
                                         "units": 6, "gates": ["z", "r"]}]
    assert card["has_gates"] and card["limits"]["max_texts"] == 64
    assert card["examples"] == []                       # a CSV of the user's own: no examples


def test_health_readiness_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"ready": True, "queue_texts": 0,
                                            "queue_requests": 0}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/predict", "/v1/explain", "/v1/inspect", "/v1/model", "/healthz", "/readyz",
            "/metrics"} <= set(paths)
    assert "413" in paths["/v1/predict"]["post"]["responses"]


def test_readiness_fails_once_the_batcher_stops(served_run):
    from rnnkit.serve.app import app_for

    from .conftest import client_of
    app = app_for(served_run)
    with client_of(app) as client:
        app.state.batcher.stop()
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["ready"] is False
        refused = client.post("/v1/predict", json={"texts": ["good"]})
        assert refused.status_code == 503 and "shutting down" in refused.json()["error"]


def test_metrics_count_requests_texts_and_batches(client):
    from prometheus_client.parser import text_string_to_metric_families
    client.post("/v1/predict", json={"texts": ["good film", "bad film", "fun"]})
    client.post("/v1/predict", json={"texts": ["dull"]})
    client.post("/v1/predict", json={"texts": []})
    client.get("/no/such/page")
    answer = client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text)
               for s in family.samples}

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))), 0)

    ok = {"endpoint": "/v1/predict", "method": "POST", "status": "200"}
    assert value("rnnkit_http_requests_total", **ok) == 2
    assert value("rnnkit_http_requests_total", **{**ok, "status": "422"}) == 1
    assert value("rnnkit_http_requests_total", endpoint="other", method="GET",
                 status="404") == 1
    assert value("rnnkit_http_request_duration_seconds_count", **ok) == 2
    assert value("rnnkit_texts_classified_total") == 4
    assert value("rnnkit_batch_texts_count") == 2 and value("rnnkit_batch_texts_sum") == 4
    assert value("rnnkit_queue_texts") == 0


def test_the_page_is_self_contained(client):
    from rnnkit.serve.page import STATIC
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for name in ("page.js", "page.css"):
        assert client.get(f"/static/{name}").status_code == 200
    for file in STATIC.iterdir():                  # nothing fetched from another host
        text = file.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, file


@pytest.mark.parametrize("path", ["/v1/predict", "/v1/explain", "/v1/inspect"])
def test_get_on_a_post_endpoint_is_405_in_json(client, path):
    answer = client.get(path)
    assert answer.status_code == 405 and answer.json() == {"error": "Method Not Allowed"}
