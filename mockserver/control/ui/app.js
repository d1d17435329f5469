// The mock's dashboard: plain script, no build step, no dependency.
// The admin token comes once from ?token= (then dropped from the address bar) or from the
// token field, and lives in sessionStorage; the API key is typed into a password field,
// kept in sessionStorage, and sent only as the X-API-Key header, never in a URL it shows.
"use strict";

const TOKEN = "mock.adminToken";
const KEY = "mock.apiKey";
const PAGE = 50;
const $ = (id) => document.getElementById(id);

const view = { offset: 0, selected: null, board: null, run: null, shownRuns: "", stream: null };

(function takeTokenFromUrl() {
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    sessionStorage.setItem(TOKEN, params.get("token"));
    history.replaceState(null, "", location.pathname); // the token leaves the address bar
  }
})();

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function headers(extra) {
  const out = { ...extra };
  const token = sessionStorage.getItem(TOKEN);
  const key = sessionStorage.getItem(KEY);
  if (token) out["X-Admin-Token"] = token;
  if (key) out["X-API-Key"] = key;
  return out;
}

function say(text, isError) {
  const box = $("message");
  box.textContent = text;
  box.className = isError ? "error" : "";
}

// The token field is always shown: hidden until a first 401, it could not be filled in
// before the first Show (nor by a test typing both fields at once).
function needToken() {
  $("admin-token").focus();
  say("The control API needs the admin token (--admin-token): enter it and press Show.", true);
}

async function call(method, path, body) {
  const init = { method, headers: headers(body ? { "Content-Type": "application/json" } : {}) };
  if (body) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (res.status === 401 && path.startsWith("/_mock")) needToken();
  if (!res.ok) {
    const detail = data && data.detail !== undefined ? JSON.stringify(data.detail) : text;
    say(`${method} ${path.split("?")[0]}: ${res.status} ${detail}`, true);
    return null;
  }
  say(`${method} ${path.split("?")[0]}: ${res.status}`);
  return data;
}

// --- the live stream (SSE read through fetch, so it can carry the headers) -------------

function connect() {
  if (view.stream) view.stream.abort();
  if (!sessionStorage.getItem(KEY)) { setLive(false, "enter an API key"); return; }
  const controller = new AbortController();
  view.stream = controller;
  const query = new URLSearchParams({ offset: view.offset, limit: PAGE });
  if (view.selected) query.set("run_id", view.selected);
  read(`/_mock/dashboard/stream?${query}`, controller).then((retry) => {
    if (view.stream !== controller) return; // replaced by a newer stream
    setLive(false, "reconnecting");
    if (retry) setTimeout(() => { if (view.stream === controller) connect(); }, 1000);
  });
}

async function read(url, controller) {
  let res;
  try {
    res = await fetch(url, { headers: headers(), signal: controller.signal });
  } catch (e) {
    return e.name !== "AbortError";
  }
  if (res.status === 401) { needToken(); return false; }
  if (!res.ok) { say(`stream: ${res.status} ${await res.text()}`, true); return true; }
  setLive(true);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (data) update(JSON.parse(data));
      }
    }
  } catch (e) {
    return e.name !== "AbortError";
  }
}

// Leaving the page ends its stream: a browser may keep the page in its back/forward cache,
// stream and all, holding one of the server's max_streams slots (and its shutdown) for nothing.
addEventListener("pagehide", () => {
  const stream = view.stream;
  view.stream = null;
  if (stream) stream.abort();
  setLive(false, "paused");
});
addEventListener("pageshow", (event) => { if (event.persisted) connect(); });

function setLive(on, why) {
  const badge = $("live");
  badge.className = `live ${on ? "on" : "off"}`;
  badge.textContent = on ? "live" : why || "offline";
}

// --- rendering -----------------------------------------------------------------------

function update(message) {
  view.board = message.board;
  view.run = message.run;
  $("workspace").textContent = `workspace ${message.board.workspace}`;
  renderClock(message.board.clock);
  renderRuns(message.board);
  renderRun(message.run, message.board.clock);
  renderJournal(message.board.journal);
  renderFaults(message.board.faults);
  const hooks = message.board.webhooks;
  $("webhooks").textContent = `${hooks.deliveries} deliveries: ${hooks.pending} pending, ${hooks.failed} failed`;
}

function nowOf(clock) { return Date.parse(clock.now) / 1000; }

function renderClock(clock) {
  $("clock").innerHTML = [
    ["now", clock.now], ["frozen", clock.frozen], ["speed", `${clock.speed}×`],
    ["offset", `${clock.offset_s} s (this workspace)`],
  ].map(([k, v]) => `<dt>${k}</dt><dd id="clock-${k}">${esc(v)}</dd>`).join("");
  $("freeze").textContent = clock.frozen ? "Unfreeze" : "Freeze";
}

function bar(run, now) {
  const nowS = Math.max(0, now - run.created_t);
  const last = run.moments.length ? run.moments[run.moments.length - 1].s : 0;
  const span = Math.max(last, nowS, 0.001) * (run.waiting_moments ? 1.15 : 1);
  const pct = (s) => `${Math.min(100, (s / span) * 100).toFixed(2)}%`;
  const ticks = run.moments.map((m) =>
    `<span class="tick ${esc(m.status)}${m.past ? " past" : ""}" style="left:${pct(m.s)}" title="${esc(m.status)} at ${esc(m.at)}"></span>`).join("");
  const waiting = run.waiting_moments ? `<span class="waiting">${run.waiting_moments} after resume…</span>` : "";
  return `<div class="bar" data-now-s="${nowS.toFixed(3)}"><span class="elapsed" style="width:${pct(nowS)}"></span>${ticks}<span class="now" style="left:${pct(nowS)}"></span>${waiting}</div>`;
}

function badge(status) { return `<span class="badge ${esc(status)}">${esc(status)}</span>`; }

function renderRuns(board) {
  const runs = board.runs;
  const first = runs.total ? runs.offset + 1 : 0;
  $("range").textContent = `${first}–${runs.offset + runs.items.length} of ${runs.total}`;
  $("prev").disabled = runs.offset === 0;
  $("next").disabled = runs.offset + runs.items.length >= runs.total;
  const now = nowOf(board.clock);
  const html = runs.items.map((r) => `<tr data-run-id="${esc(r.id)}" data-status="${esc(r.status)}"${r.id === view.selected ? ' class="selected"' : ""}>
      <td>${badge(r.status)}</td><td class="mono" title="${esc(r.id)}">${esc(r.id.slice(0, 8))}</td>
      <td>${esc(r.workflow_id)}${r.webhook ? " <small>⤴ webhook</small>" : ""}</td>
      <td><span class="progress"><span style="width:${r.progress}%"></span></span> ${r.progress}%</td>
      <td>${bar(r, now)}</td></tr>`).join("");
  // Re-render only on change, so a click is not lost to a rebuilt row.
  if (html !== view.shownRuns) {
    $("runs").tBodies[0].innerHTML = html || '<tr><td colspan="5"><small>No runs in this workspace yet.</small></td></tr>';
    view.shownRuns = html;
  }
}

function renderRun(run, clock) {
  $("detail").hidden = !run;
  $("detail-empty").hidden = !!run;
  $("detail-id").textContent = run ? run.id : "";
  if (!run) return;
  const terminal = ["completed", "failed", "stopped"].includes(run.status);
  $("run-resume").disabled = run.status !== "awaiting_human_feedback";
  $("run-advance").disabled = terminal;
  $("run-force").disabled = terminal;
  $("run-stop").disabled = terminal;
  $("detail-summary").innerHTML = `<p>${badge(run.status)} <span id="detail-status">${esc(run.status)}</span> · ${run.progress}% · ${esc(run.workflow_id)} · created ${esc(run.created_at)}</p>${bar(run, nowOf(clock))}`;
  $("views").tBodies[0].innerHTML = run.views.map((v) => `<tr class="${v.past ? "past" : "future"}">
      <td class="mono">+${v.s.toFixed(2)} s${v.past ? "" : " (planned)"}</td><td>${badge(v.status)}</td><td>${v.progress}</td>
      <td class="mono">${v.changes.map((c) => `${esc(c.node_id)}→${esc(c.status)}`).join(", ")}${v.error ? ` <span class="attempt bad">${esc(v.error)}</span>` : ""}</td></tr>`).join("");
  $("events").innerHTML = run.events.map((e) => `<li><b>${esc(e.type)}</b> <small>${esc(e.id)}</small> ${esc(JSON.stringify(e.data))}</li>`).join("");
  let hooks = run.deliveries.map((d) => `<div class="delivery" data-state="${esc(d.state)}">
      <div><b>${esc(d.state)}</b> → <span class="mono">${esc(d.url)}</span> <small>${esc(d.delivery_id)}</small></div>
      <ol>${d.attempts.map((a) => `<li class="attempt ${a.status_code >= 200 && a.status_code < 300 ? "ok" : "bad"}">attempt ${a.number} at ${esc(a.at)}: ${a.status_code === null ? "no answer" : `HTTP ${a.status_code}`}${a.error ? ` (${esc(a.error)})` : ""}</li>`).join("")}</ol></div>`).join("");
  if (!hooks) hooks = run.webhook_awaited ? "<p><small>Webhook waits for the run to finish.</small></p>" : "<p><small>No webhook (no callback_url).</small></p>";
  $("deliveries").innerHTML = hooks;
}

function renderJournal(entries) {
  $("journal").tBodies[0].innerHTML = entries.map((e) => `<tr><td class="mono">${esc(e.at)}</td><td>${esc(e.method)}</td>
      <td class="mono">${esc(e.path)}</td><td class="status-${String(e.status)[0]}">${e.status}</td></tr>`).join("");
}

function renderFaults(rules) {
  $("faults").innerHTML = rules.length
    ? rules.map((r) => `<li class="mono">${esc(JSON.stringify(r))}</li>`).join("")
    : "<li><small>None.</small></li>";
}

// --- controls --------------------------------------------------------------------------

function apiKey() { return sessionStorage.getItem(KEY); }

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  const token = $("admin-token").value;
  if (key) sessionStorage.setItem(KEY, key);
  if (token) sessionStorage.setItem(TOKEN, token);
  $("api-key").value = ""; $("admin-token").value = ""; // kept in sessionStorage only
  view.offset = 0; view.selected = null; view.shownRuns = "";
  say(key ? "Workspace chosen." : "");
  connect();
});

$("prev").addEventListener("click", () => { view.offset = Math.max(0, view.offset - PAGE); connect(); });
$("next").addEventListener("click", () => { view.offset += PAGE; connect(); });

// On press, not on click: the rows are rebuilt as the clock moves, and a click whose
// press and release land on two versions of a row is never delivered.
$("runs").tBodies[0].addEventListener("mousedown", (event) => {
  const row = event.target.closest("tr[data-run-id]");
  if (!row) return;
  view.selected = row.dataset.runId;
  view.shownRuns = "";
  connect();
});

function onRun(id, action) {
  $(id).addEventListener("click", () => { if (view.selected) action(view.selected); });
}
onRun("run-advance", (run) => call("POST", `/_mock/runs/${run}/advance`));
onRun("run-resume", (run) => call("POST", `/_mock/runs/${run}/resume`));
onRun("run-force", (run) => call("POST", `/_mock/runs/${run}/force`, { status: $("force-status").value }));
// Stopping is the public API's own operation (the journal shows it, as it would your app's).
onRun("run-stop", (run) => call("POST", `/v1/runs/${run}/stop`));

$("advance-clock").addEventListener("click", () =>
  call("POST", "/_mock/clock/advance", { seconds: Number($("advance-seconds").value), api_key: apiKey() }));
$("freeze").addEventListener("click", () =>
  call("POST", "/_mock/clock/freeze", { frozen: !(view.board && view.board.clock.frozen) }));
$("set-speed").addEventListener("click", () => call("POST", "/_mock/clock/speed", { speed: Number($("speed").value) }));
$("reset").addEventListener("click", () => {
  view.selected = null;
  call("POST", "/_mock/reset", { api_key: apiKey() }).then(connect);
});

$("fault-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const rule = { api_key: apiKey() };
  const ops = $("fault-ops").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (ops.length) rule.operations = ops;
  const number = (id) => ($(id).value === "" ? undefined : Number($(id).value));
  for (const [field, id] of [["error_rate", "fault-rate"], ["latency_ms", "fault-latency"],
    ["webhook_fail_times", "fault-webhook"], ["error_status", "fault-status"]]) {
    if (number(id) !== undefined) rule[field] = number(id);
  }
  call("PUT", "/_mock/faults", rule);
});
$("clear-faults").addEventListener("click", () =>
  call("DELETE", `/_mock/faults?${new URLSearchParams({ api_key: apiKey() })}`));

connect();
