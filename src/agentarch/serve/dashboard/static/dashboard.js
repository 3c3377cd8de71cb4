// agentarch dashboard: reads the JSON endpoints and draws the runs, one run (anytime curve, Pareto
// front, designs), one design (tree, lineage, results) and one example's trace. Views follow the URL
// hash (#/run/ID/design/DID/result/KEY), so every view can be linked and the back button works.
// The runs list (and an open run that is still running) is polled every few seconds (?poll=N).
"use strict";

const POLL_SECONDS = Number(new URLSearchParams(location.search).get("poll")) || 3;
const last = {};  // endpoint -> JSON text last drawn, so an unchanged poll redraws nothing
const charts = {};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "onclick") node.addEventListener("click", v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const fmt = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x)) ? "–" : Number(x).toFixed(d);
const whole = (x) => (x === null || x === undefined) ? "–" : Math.round(x).toLocaleString("en");
const ci = (m) => m ? `${fmt(m.score)} [${fmt(m.low)}, ${fmt(m.high)}]${m.complete === false ? " (partial)" : ""}` : "–";
const when = (t) => new Date(t * 1000).toLocaleString("sv").slice(0, 16);
const ago = (t) => { const s = Math.max(0, Date.now() / 1000 - t); return s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`; };

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  const text = await r.text();
  if (!r.ok) {
    let msg = text;
    try { msg = JSON.parse(text).error || text; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return { data: JSON.parse(text), text };
}

// Fetch url and call draw(data) when it differs from what was drawn last time (or force).
async function load(url, draw, force) {
  const { data, text } = await getJSON(url);
  if (force || last[url] !== text) { last[url] = text; draw(data); }
  return data;
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const r = {};
  for (let i = 0; i + 1 < parts.length; i += 2) r[parts[i]] = parts[i + 1];
  return r;
}
const href = (r) => "#/" + ["run", "design", "result"].filter((k) => r[k]).map((k) => `${k}/${encodeURIComponent(r[k])}`).join("/");

// -- runs -----------------------------------------------------------------------------------
let runsById = {};
function drawRuns(runs) {
  runsById = Object.fromEntries(runs.map((r) => [r.id, r]));
  const body = document.querySelector("#runs-table tbody");
  const sel = route().run;
  body.replaceChildren(...runs.map((r) => {
    const stale = r.status === "running" && Date.now() / 1000 - r.updated > 900;
    const status = r.status === "running" ? `running · updated ${ago(r.updated)} ago` : r.status + (r.stop_reason ? ` (${r.stop_reason})` : "");
    const budget = r.budget_calls ? ` / ${whole(r.budget_calls)}` : "";
    return el("tr", { class: "link" + (sel && r.id.startsWith(sel) ? " selected" : ""), "data-run": r.id,
                      onclick: () => { location.hash = href({ run: r.id }); } },
      el("td", {}, el("a", { href: href({ run: r.id }) }, r.id.slice(0, 10))),
      el("td", {}, r.optimizer || r.kind), el("td", {}, r.task || "–"), el("td", {}, r.model || "–"),
      el("td", { class: stale ? "status-stale" : `status-${r.status}` }, stale ? `${status} (stopped?)` : status),
      el("td", { class: "num" }, r.spent_calls === null ? "–" : whole(r.spent_calls) + budget),
      el("td", { class: "num" }, whole(r.spent_tokens)),
      el("td", { class: "num" }, r.designs),
      el("td", {}, r.best ? `${fmt(r.best.score)}  ${r.best.label}` : "–"),
      el("td", {}, when(r.created)));
  }));
  document.getElementById("runs-empty").hidden = runs.length > 0;
}

// -- one run --------------------------------------------------------------------------------
function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  for (const ds of config.data.datasets) ds.clip = 10;  // a point at 1.0 is drawn whole, not cut at the edge
  charts[id] = new Chart(document.getElementById(id), config);
}

const axes = (x, y) => ({
  x: { type: "linear", beginAtZero: true, title: { display: true, text: x } },
  y: { title: { display: true, text: y }, suggestedMin: 0, suggestedMax: 1 },
});

function drawRun(d) {
  const r = d.run;
  document.getElementById("run-title").textContent = `Run ${r.id} — ${r.optimizer} on ${r.task}`;
  const noise = d.noise && d.noise.measured ? `noise floor ${fmt(d.noise.floor)} (${d.noise.label}, ${d.noise.flips} of ${d.noise.n} changed)` : null;
  document.getElementById("run-facts").textContent = [
    `model ${r.model}`, `status ${r.status}${r.stop_reason ? " (" + r.stop_reason + ")" : ""}`,
    r.spent_calls !== null ? `${whole(r.spent_calls)} calls${r.budget_calls ? " of " + whole(r.budget_calls) : ""}, ${whole(r.spent_tokens)} tokens spent` : null,
    d.config.objective ? `objective ${d.config.objective}` : null, noise,
  ].filter(Boolean).join(" · ");

  const curve = d.curve.filter((p) => p.calls !== null);
  document.getElementById("anytime-none").hidden = curve.length > 0;
  const split = d.pareto.split === "val" ? "validation" : "the measured split";
  document.getElementById("pareto-caption").textContent =
    `Accuracy vs tokens per example (${split}; line: Pareto front). Click a point to open the design.`;
  const label = (ctx) => ctx.raw.label ? `${ctx.raw.label}: ${fmt(ctx.raw.y)} (${whole(ctx.raw.x)})` : `${fmt(ctx.raw.y)}`;
  chart("anytime-chart", {
    type: "scatter",
    data: { datasets: [
      { label: "best so far", data: curve.filter((p) => p.best !== null).map((p) => ({ x: p.calls, y: p.best, label: p.best_label })),
        showLine: true, stepped: "after", borderColor: "#2563eb", backgroundColor: "#2563eb", pointRadius: 0, borderWidth: 2 },
      ...[["baselines", (p) => p.origin === "baseline", "#f59e0b"], ["found designs", (p) => p.origin !== "baseline", "#94a3b8"]].map(([name, keep, color]) => ({
        label: name, data: curve.filter((p) => p.complete && p.score !== null && keep(p)).map((p) => ({ x: p.calls, y: p.score, label: p.label, design: p.design })),
        backgroundColor: color, borderColor: color, pointRadius: 4 })),
    ] },
    options: { animation: false, maintainAspectRatio: false, scales: axes("model calls spent", "validation score"),
               plugins: { tooltip: { callbacks: { label } } }, onClick: openPoint },
  });

  const pts = d.pareto.points;
  const front = d.pareto.front.map((id) => pts.find((p) => p.design === id)).sort((a, b) => a.tokens - b.tokens);
  chart("pareto-chart", {
    type: "scatter",
    data: { datasets: [
      { label: `designs (${d.pareto.split === "val" ? "validation" : "measured"})`, data: pts.map((p) => ({ x: p.tokens, y: p.score, label: p.label, design: p.design })),
        backgroundColor: pts.map((p) => p.on_front ? "#2563eb" : "#94a3b8"), pointRadius: 5 },
      { label: "Pareto front", data: front.map((p) => ({ x: p.tokens, y: p.score, label: p.label, design: p.design })),
        showLine: true, borderColor: "#2563eb", pointRadius: 0, borderWidth: 1.5 },
      { label: "test (promoted)", data: pts.filter((p) => p.test !== null).map((p) => ({ x: p.test_tokens, y: p.test, label: p.label + " on test", design: p.design })),
        pointStyle: "triangle", backgroundColor: "#16a34a", pointRadius: 6 },
    ] },
    options: { animation: false, maintainAspectRatio: false, scales: axes("tokens per example", "accuracy"),
               plugins: { tooltip: { callbacks: { label } } }, onClick: openPoint },
  });

  const body = document.querySelector("#designs-table tbody");
  const sel = route().design;
  body.replaceChildren(...d.designs.map((x) => {
    const delta = x.delta ? el("span", { class: x.delta.label === "better" ? "better" : x.delta.label === "worse" ? "worse" : "" },
      `${x.delta.mean >= 0 ? "+" : ""}${fmt(x.delta.mean)} [${fmt(x.delta.low)}, ${fmt(x.delta.high)}] ${x.delta.label}`)
      : (x.design === d.reference ? "reference" : "–");
    const origin = x.baseline ? `baseline ${x.baseline}` : (x.origin || x.roles.join(", "));
    const go = href({ run: r.id, design: x.design });
    const cost = x.val || x.test;  // an eval run measured one split only
    return el("tr", { class: "link" + (sel === x.design ? " selected" : ""), "data-design": x.design, onclick: () => { location.hash = go; } },
      el("td", {}, el("a", { href: go }, x.label), x.design === d.winner ? el("span", { class: "badge hit" }, "winner") : null),
      el("td", {}, origin), el("td", { class: "num" }, ci(x.val)), el("td", { class: "num" }, ci(x.test)),
      el("td", { class: "num" }, cost ? whole(cost.tokens) : "–"), el("td", { class: "num" }, cost ? fmt(cost.calls, 1) : "–"),
      el("td", { class: "num" }, delta), el("td", {}, x.on_front ? "★" : ""));
  }));
}

function openPoint(evt, elements, ch) {
  if (!elements.length) return;
  const p = ch.data.datasets[elements[0].datasetIndex].data[elements[0].index];
  if (p && p.design) location.hash = href({ run: route().run, design: p.design });
}

// -- one design -----------------------------------------------------------------------------
function treeNode(t) {
  const params = Object.entries(t.params || {}).map(([k, v]) => {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return text.length > 80 ? el("li", {}, el("span", { class: "param" }, k + " ="), el("pre", {}, text))
                            : el("li", {}, el("span", { class: "param" }, `${k} = ${text}`));
  });
  return el("li", {}, el("span", { class: "block" }, t.block),
    el("ul", {}, ...params, ...(t.children || []).map(treeNode)));
}

function drawDesign(d) {
  document.getElementById("design-title").textContent = `Design ${d.label} (${d.design})`;
  document.getElementById("design-tree").replaceChildren(el("ul", {}, treeNode(d.tree)));
  document.getElementById("design-lineage").replaceChildren(...d.lineage.map((l) => el("li", {},
    l.design === d.design ? el("strong", {}, l.label) : el("a", { href: href({ run: d.run, design: l.design }) }, l.label),
    el("span", { class: "note" }, ` — ${l.origin || "not proposed in this run"}${l.round !== null && l.round !== undefined ? ", round " + l.round : ""}${l.note ? ": " + l.note : ""}`))));
  document.getElementById("design-children").replaceChildren(...(d.children.length ? [el("h3", {}, "Children in this run"),
    el("ul", {}, ...d.children.map((c) => el("li", {}, el("a", { href: href({ run: d.run, design: c.design }) }, c.label),
      el("span", { class: "muted" }, ` — ${c.origin}${c.note ? ": " + c.note : ""}`))))] : []));
  document.getElementById("design-scope").textContent = `(task ${d.scope.task || "any"}, model ${d.scope.model || "any"}, every run)`;
  const sel = route().result;
  document.querySelector("#results-table tbody").replaceChildren(...d.results.map((x) => {
    const go = href({ run: d.run, design: d.design, result: x.key });
    return el("tr", { class: "link" + (sel === x.key ? " selected" : ""), "data-key": x.key, onclick: () => { location.hash = go; } },
      el("td", {}, el("a", { href: go }, x.example)), el("td", { class: "num" }, x.repeat),
      el("td", { class: "num" }, fmt(x.score, 2)), el("td", {}, x.extracted),
      el("td", { class: "num" }, x.calls), el("td", { class: "num" }, x.cached), el("td", { class: "num" }, whole(x.tokens)),
      el("td", {}, x.error || ""));
  }));
}

// -- one example's trace --------------------------------------------------------------------
function drawTrace(t) {
  document.getElementById("trace-title").textContent = `Trace: example ${t.example} with ${t.label}`;
  document.getElementById("trace-facts").replaceChildren(
    `score ${fmt(t.score, 2)} · answer read as “${t.extracted}” · ${t.calls.length} model call${t.calls.length === 1 ? "" : "s"} (${t.cached} from the cache) · `
    + `${whole(t.prompt_tokens)} prompt + ${whole(t.completion_tokens)} completion tokens · ${fmt(t.seconds, 2)} s · model ${t.model}`
    + (t.repeat ? ` · repeat ${t.repeat}` : ""),
    t.error ? el("div", { class: "worse" }, `error: ${t.error}`) : "");
  document.querySelector("#blocks-table tbody").replaceChildren(...t.blocks.map((b) => el("tr", {},
    el("td", {}, b.block), el("td", { class: "num" }, b.calls), el("td", { class: "num" }, whole(b.prompt_tokens)),
    el("td", { class: "num" }, whole(b.completion_tokens)), el("td", { class: "num" }, b.cached))));
  document.getElementById("trace").replaceChildren(...t.calls.map((c) => el("div", { class: "call" },
    el("div", { class: "call-head" }, `#${c.index} ${c.block}`,
      el("span", { class: "badge" }, `${c.prompt_tokens} prompt + ${c.completion_tokens} completion tokens`),
      c.cached ? el("span", { class: "badge hit" }, "cache hit") : el("span", { class: "badge" }, "sent to the model")),
    ...c.messages.map((m) => [el("div", { class: "role" }, m.role), el("pre", {}, m.content ?? "")]),
    el("div", { class: "role" }, "reply"), el("pre", { class: "reply" }, c.reply))),
    el("div", { class: "role" }, "final answer"), el("pre", {}, t.answer));
}

// -- refresh --------------------------------------------------------------------------------
function show(id, on) { document.getElementById(id).hidden = !on; }

async function refresh(force) {
  const r = route();
  const status = document.getElementById("status");
  try {
    await load("/api/runs", drawRuns, force);
    show("run-section", !!r.run); show("design-section", !!r.design); show("trace-section", !!r.result);
    const live = r.run && Object.values(runsById).some((x) => x.id.startsWith(r.run) && x.status === "running");
    if (r.run) await load(`/api/runs/${encodeURIComponent(r.run)}`, drawRun, force);
    if (r.design && (force || live)) await load(`/api/runs/${encodeURIComponent(r.run)}/designs/${encodeURIComponent(r.design)}`, drawDesign, force);
    if (r.result && force) await load(`/api/results/${encodeURIComponent(r.result)}`, drawTrace, force);
    status.textContent = `read-only · refreshed ${new Date().toLocaleTimeString("sv")}`;
    status.className = "muted";
  } catch (e) {
    status.textContent = `error: ${e.message}`;
    status.className = "worse";
  }
}

async function start() {
  try {
    const { data } = await getJSON("/api/store");
    document.getElementById("store").textContent = data.path;
  } catch (e) { /* shown by refresh */ }
  window.addEventListener("hashchange", () => {
    refresh(true).then(() => {
      const target = route().result ? "trace-section" : route().design ? "design-section" : route().run ? "run-section" : null;
      if (target) document.getElementById(target).scrollIntoView({ block: "start" });
    });
  });
  await refresh(true);
  setInterval(() => { if (!document.hidden) refresh(false); }, POLL_SECONDS * 1000);
}

start();
