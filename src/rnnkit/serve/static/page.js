// The page's only script: it calls this server's /v1 API and draws the answers. Text from the
// user or the model is only ever set as textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { card: null };

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const percent = (p) => `${(100 * p).toFixed(1)}%`;

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `${path}: HTTP ${response.status}`);
  return answer;
}

// ---- the model card ---------------------------------------------------------------------------
function showCard(card) {
  state.card = card;
  $("model-name").textContent = `rnnkit: ${card.name}`;
  $("model-description").textContent = card.recipe.description || "";
  $("version").textContent = `rnnkit ${card.rnnkit_version}`;
  const metrics = card.test_metrics;
  const facts = [
    ["Classes", card.classes.map((c) => c.name).join(", ")],
    ["Test accuracy", metrics ? `${percent(metrics.test_accuracy)} on ${metrics.test_examples} texts` : "not known (a model file, not a run)"],
    ["Recipe", card.recipe.name || "—"],
    ["Recurrent layers", card.recurrent_layers.map((l) => `${l.type} (${l.cell.replace("Cell", "")}, ${l.units} units)`).join(", ") || "none"],
    ["Text encoding", `${card.encoding}: ${card.vocabulary_size.toLocaleString()} words, last ${card.maxlen} tokens kept`],
    ["Parameters", card.architecture.params.toLocaleString()],
  ];
  if (metrics && metrics.test_source) facts.push(["Test set", metrics.test_source]);
  const list = $("card-facts");
  for (const [name, value] of facts) {
    list.append(element("dt", "", name), element("dd", "", value));
  }
  const rows = document.querySelector("#layers tbody");
  for (const layer of card.architecture.layers) {
    const row = element("tr");
    const shape = layer.output_shape ? `(${layer.output_shape.map((d) => d ?? "None").join(", ")})` : "?";
    for (const cell of [layer.name, layer.type, shape, layer.params.toLocaleString()]) {
      row.append(element("td", "", cell));
    }
    rows.append(row);
  }
  showExamples(card.examples);
}

function showExamples(examples) {
  if (!examples.length) return;
  const list = $("examples");
  for (const text of examples) {
    const button = element("button", "", text);
    button.type = "button";
    button.addEventListener("click", () => { $("text").value = text; classify(); });
    const item = element("li");
    item.append(button);
    list.append(item);
  }
  $("examples-box").hidden = false;
}

// ---- one text: prediction, explanation, gates -----------------------------------------------------
async function classify() {
  const text = $("text").value;
  if (!text.trim()) { showError("Type a text first."); $("text").focus(); return; }
  showError("");
  $("submit").disabled = true;
  $("status").textContent = "Classifying…";
  try {
    const { results: [result] } = await call("/v1/predict", { texts: [text] });
    showPrediction(result);
    $("explanation").hidden = $("gates").hidden = true;      // an old text's views would mislead
    $("status").textContent = "Explaining…";
    const asked = [call("/v1/explain", { text, method: $("method").value }).then(showExplanation)];
    if (state.card && state.card.has_gates) asked.push(call("/v1/inspect", { text }).then(showGates));
    await Promise.all(asked);
    $("status").textContent = "";
  } catch (error) {
    $("status").textContent = "";
    showError(error.message);
  } finally {
    $("submit").disabled = false;
  }
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function showPrediction(result) {
  $("label").textContent = result.label;
  $("probability").textContent = `(${percent(result.probability)})`;
  const bars = $("bars");
  bars.replaceChildren();
  const ranked = Object.entries(result.probabilities).sort((a, b) => b[1] - a[1]).slice(0, 5);
  for (const [name, p] of ranked) {
    const bar = element("div", "bar");
    const track = element("div", "track");
    const fill = element("div", "fill");
    fill.style.width = percent(p);
    track.append(fill);
    track.setAttribute("role", "meter");
    track.setAttribute("aria-valuemin", "0");
    track.setAttribute("aria-valuemax", "100");
    track.setAttribute("aria-valuenow", (100 * p).toFixed(1));
    track.setAttribute("aria-label", `${name} probability`);
    bar.append(element("span", "", name), track, element("span", "pct", percent(p)));
    bars.append(bar);
  }
  const notes = [`${result.known_tokens} known words, ${result.unknown_tokens} unknown`];
  if (result.truncated) notes.push(`cut to the last ${state.card.maxlen} tokens`);
  $("notes").textContent = notes.join("; ") + ".";
  $("result").hidden = false;
}

function showExplanation(found) {
  $("target-label").textContent = found.label;
  const values = found.tokens.map((t) => t.attribution).filter((a) => a !== null);
  const scale = Math.max(1e-9, ...values.map(Math.abs));
  const words = $("words");
  words.replaceChildren();
  for (const token of found.tokens) {
    const span = element("span", `w ${token.status}`, token.token);
    if (token.attribution !== null) {
      const share = token.attribution / scale;
      const colour = share >= 0 ? "var(--for)" : "var(--against)";
      span.style.background = `rgba(${colour}, ${(0.08 + 0.72 * Math.abs(share)).toFixed(3)})`;
      span.dataset.attribution = token.attribution.toFixed(4);
      span.title = `${token.token}: ${token.attribution >= 0 ? "+" : ""}${token.attribution.toFixed(4)}`;
    } else {
      span.title = `${token.token}: ${token.status === "cut" ? "cut by maxlen" : "unknown to the model"}`;
    }
    words.append(span, document.createTextNode(" "));
  }
  $("explain-summary").textContent = explanationSummary(found);
  $("explanation").hidden = false;
}

function explanationSummary(found) {
  const scored = found.tokens.filter((t) => t.attribution !== null);
  const top = (sign) => scored.filter((t) => sign * t.attribution > 0)
    .sort((a, b) => sign * (b.attribution - a.attribution)).slice(0, 3).map((t) => t.token);
  const pro = top(1), con = top(-1);
  return `Most for ${found.label}: ${pro.join(", ") || "none"}. Most against: ${con.join(", ") || "none"}. ` +
    `(${found.method}; ${percent(found.baseline_probability)} with no known word, ${percent(found.probability)} with these.)`;
}

// ---- the gates heatmap: one row per unit, one column per word ----------------------------------
const KIND_NOTES = {
  gate: "a gate, from 0 (closed, white) to 1 (open, dark blue)",
  unit: "from −1 (red) through 0 (white) to +1 (blue)",
  free: "unbounded: red negative, blue positive, scaled to its largest value",
};

function showGates(found) {
  state.inspection = found;
  const select = $("series");
  const previous = select.value;
  select.replaceChildren();
  found.layers.forEach((layer, l) => layer.series.forEach((series, s) => {
    const direction = layer.direction === "forward" ? "" : ` (${layer.direction})`;
    const option = element("option", "", `${layer.layer}${direction}: ${series.name}`);
    option.value = `${l}:${s}`;
    select.append(option);
  }));
  const preferred = [...select.options].find((o) => o.value === previous) ||
    [...select.options].find((o) => o.textContent.endsWith(": h"));
  if (preferred) select.value = preferred.value;
  drawSelected();
  $("gates").hidden = false;
}

function drawSelected() {
  const found = state.inspection;
  if (!found) return;
  const [l, s] = $("series").value.split(":").map(Number);
  const layer = found.layers[l], series = layer.series[s];
  drawHeatmap($("heatmap"), series, found.positions.map((p) => p.label));
  $("series-note").textContent = `${series.name}: ${KIND_NOTES[series.kind]}. Rows: the ${layer.units} units of ${layer.layer}; columns: the words in order.`;
  const saturation = Object.entries(layer.saturation)
    .map(([gate, v]) => `${gate} ${percent(v["below_0.1"])} closed / ${percent(v["above_0.9"])} open`);
  $("gates-summary").textContent = saturation.length ? `Saturation over these words: ${saturation.join("; ")}.` : "";
}

function colourOf(value, kind, scale) {
  if (value === null) return "#c8ccd0";
  if (kind === "gate") {
    const v = Math.min(1, Math.max(0, value));
    return `rgb(${Math.round(255 - 244 * v)}, ${Math.round(255 - 163 * v)}, ${Math.round(255 - 82 * v)})`;
  }
  const v = Math.max(-1, Math.min(1, value / scale));
  return v >= 0
    ? `rgb(${Math.round(255 - 244 * v)}, ${Math.round(255 - 163 * v)}, ${Math.round(255 - 82 * v)})`
    : `rgb(${Math.round(255 - 59 * -v)}, ${Math.round(255 - 212 * -v)}, ${Math.round(255 - 227 * -v)})`;
}

function drawHeatmap(canvas, series, words) {
  const units = series.values.length ? series.values[0].length : 0;
  const cell = Math.max(12, Math.min(28, Math.floor(640 / Math.max(1, words.length))));
  const row = Math.max(4, Math.min(12, Math.floor(240 / Math.max(1, units))));
  const labelHeight = 90, ratio = window.devicePixelRatio || 1;
  const width = words.length * cell + 2, height = units * row + labelHeight;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.style.width = `${width}px`; canvas.style.height = `${height}px`;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  const finite = series.values.flat().filter((v) => v !== null).map(Math.abs);
  const scale = series.kind === "unit" ? 1 : Math.max(1e-9, ...finite);
  series.values.forEach((column, t) => column.forEach((value, u) => {
    g.fillStyle = colourOf(value, series.kind, scale);
    g.fillRect(1 + t * cell, u * row, cell - 1, row);
  }));
  g.fillStyle = "#1b1f24";
  g.font = "12px system-ui, sans-serif";
  words.forEach((word, t) => {
    g.save();
    g.translate(1 + t * cell + cell / 2 + 4, units * row + 6);
    g.rotate(-Math.PI / 2.6);
    g.textAlign = "right";
    g.fillText(word.length > 14 ? `${word.slice(0, 13)}…` : word, 0, 0);
    g.restore();
  });
  canvas.setAttribute("aria-label", `Heatmap of ${series.name}: ${units} units over ${words.length} words (${words.join(" ")}).`);
}

// ---- wiring ------------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", (event) => { event.preventDefault(); classify(); });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); classify(); }
  });
  $("series").addEventListener("change", drawSelected);
  call("/v1/model").then(showCard).catch((error) => showError(`Could not read the model: ${error.message}`));
});
