// The TuningMonitor's view. Plain DOM and no imports (offline machines, no build step); the
// trials table is written as one HTML string per update.

// A long study redraws every poll: the table keeps the newest trials only.
const MAX_ROWS = 500;
const SVG = { w: 640, h: 220, left: 60, right: 14, top: 12, bottom: 30 };

export function esc(value) {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

function toNumber(value) {
  if (typeof value === "number") return value;
  if (value === null || value === undefined || String(value).trim() === "") return NaN;
  return Number(value); // "Infinity" comes from Python for infinite values
}

function fmtNum(value) {
  const n = toNumber(value);
  if (Number.isNaN(n)) return esc(value ?? "");
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e6 || abs < 1e-3) return n.toExponential(3);
  return String(Number(n.toPrecision(5)));
}

function fmtValue(value) {
  return typeof value === "number" || value === "Infinity" || value === "-Infinity"
    ? fmtNum(value)
    : esc(value ?? "");
}

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const p = (x) => String(x).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${p(m)}:${p(s % 60)}` : `${m}:${p(s % 60)}`;
}

function fmtClock(millis) {
  const d = new Date(millis);
  const p = (x) => String(x).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function trialsHtml(trials, params) {
  const rows = [];
  const oldest = Math.max(0, trials.length - MAX_ROWS);
  for (let i = trials.length - 1; i >= oldest; i -= 1) {
    const t = trials[i];
    const values = t.values ? t.values.map(fmtNum).join(", ") : "";
    const state = esc(t.state);
    const cells = [
      `<td class="slw-num">${t.number}</td>`,
      `<td><span class="slw-status slw-${state.toLowerCase()}">${state}</span></td>`,
      `<td class="slw-num">${values}</td>`,
    ];
    for (const p of params) cells.push(`<td class="slw-num">${fmtValue(t.params[p])}</td>`);
    const duration = t.state === "RUNNING" ? "running" : fmtDuration(t.duration);
    cells.push(`<td class="slw-num">${duration}</td>`);
    rows.push(`<tr data-number="${t.number}">${cells.join("")}</tr>`);
  }
  return rows.join("");
}

// Every complete trial's value as a faint dot, and the best so far as a step line, against
// the time each trial completed.
export function bestSvg(trials, best) {
  const { w, h, left, right, top, bottom } = SVG;
  if (!best.length) {
    return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart">
<text x="${w / 2}" y="${h / 2}" text-anchor="middle">no complete trials yet</text></svg>`;
  }
  const dots = trials
    .filter((t) => t.state === "COMPLETE" && t.end !== null && t.values)
    .map((t) => [t.end, toNumber(t.values[0]), t.number])
    .filter(([, v]) => Number.isFinite(v));
  const line = best.map(([end, , v]) => [end, toNumber(v)]).filter(([, v]) => Number.isFinite(v));
  const times = dots.map(([t]) => t).concat(line.map(([t]) => t));
  const values = dots.map(([, v]) => v).concat(line.map(([, v]) => v));
  if (!values.length) return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart"></svg>`;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (t) => left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (w - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo || 1)) * (h - top - bottom);
  const steps = [];
  line.forEach(([t, v], i) => {
    if (i > 0) steps.push(`${x(t).toFixed(1)},${y(line[i - 1][1]).toFixed(1)}`);
    steps.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
  });
  const circles = dots
    .map(
      ([t, v, n]) =>
        `<circle class="slw-faint" cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5">` +
        `<title>trial ${n}: ${fmtNum(v)}</title></circle>`,
    )
    .join("");
  return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart" role="img" aria-label="best value over time">
<line class="slw-axis" x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}"/>
<line class="slw-axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}"/>
<text x="${left - 6}" y="${top + 4}" text-anchor="end">${fmtNum(hi)}</text>
<text x="${left - 6}" y="${h - bottom}" text-anchor="end">${fmtNum(lo)}</text>
<text x="${left}" y="${h - 10}">${fmtClock(t0)}</text>
<text x="${w - right}" y="${h - 10}" text-anchor="end">${fmtClock(t1)}</text>
${circles}<polyline class="slw-best" points="${steps.join(" ")}"/></svg>`;
}

export function importancesHtml(importances) {
  const entries = Object.entries(importances);
  if (!entries.length) {
    return '<p class="slw-hint">Importances appear after two complete trials.</p>';
  }
  const top = Math.max(...entries.map(([, v]) => v)) || 1;
  const rows = entries
    .map(
      ([name, v]) =>
        `<span>${esc(name)}</span>` +
        `<div class="slw-bar-fill" style="width:${((100 * v) / top).toFixed(1)}%"></div>` +
        `<span class="slw-num">${v.toFixed(3)}</span>`,
    )
    .join("");
  return `<div class="slw-bars">${rows}</div>`;
}

function summary(info, trials, best) {
  const counts = {};
  for (const t of trials) counts[t.state] = (counts[t.state] || 0) + 1;
  const parts = Object.entries(counts).map(([state, n]) => `${n} ${state.toLowerCase()}`);
  let text = `${trials.length} trials${parts.length ? ` (${parts.join(", ")})` : ""}`;
  if (trials.length > MAX_ROWS) text += ` · the newest ${MAX_ROWS} listed`;
  if (best.length) {
    const [, number, value] = best[best.length - 1];
    text += ` · best ${fmtNum(value)} (trial ${number})`;
  }
  if (info.directions && info.directions.length > 1) text += ` · ${info.directions.join(" / ")}`;
  return text;
}

function render({ model, el }) {
  el.classList.add("slw-root");
  el.innerHTML = `<div class="slw-monitor">
  <div class="slw-toolbar"><strong class="slw-title"></strong><span class="slw-count"></span></div>
  <div class="slw-error" role="alert" hidden></div>
  <div class="slw-panels">
    <div class="slw-chart-box">
      <div>best value over time</div>
      <div class="slw-chart-slot"></div>
    </div>
    <div class="slw-importances">
      <div>parameter importances</div>
      <div class="slw-importance-slot"></div>
    </div>
  </div>
  <div class="slw-scroll"><table class="slw-table"><thead></thead><tbody></tbody></table></div>
</div>`;
  const $ = (selector) => el.querySelector(selector);
  const ui = {
    title: $(".slw-title"),
    count: $(".slw-count"),
    error: $(".slw-error"),
    chart: $(".slw-chart-slot"),
    importances: $(".slw-importance-slot"),
    thead: $("thead"),
    tbody: $("tbody"),
  };

  function draw() {
    const info = model.get("study_info") || {};
    const trials = model.get("trials") || [];
    const params = model.get("param_names") || [];
    const best = model.get("best") || [];
    const single = info.directions && info.directions.length === 1;
    const direction = single ? ` (${info.directions[0]})` : "";
    ui.title.textContent = info.name ? `Study ${info.name}${direction}` : "Study";
    const error = model.get("error");
    ui.error.hidden = !error;
    ui.error.textContent = error || "";
    ui.count.textContent = model.get("loaded") || error ? summary(info, trials, best) : "loading…";
    const head = ["trial", "state", "value", ...params, "duration"];
    ui.thead.innerHTML = `<tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>`;
    ui.tbody.innerHTML = trialsHtml(trials, params);
    ui.chart.innerHTML = bestSvg(trials, best);
    ui.importances.innerHTML = importancesHtml(model.get("importances") || {});
  }

  // One message may change several traits, each firing its own event: draw once for all.
  let pending = false;
  function changed() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      draw();
    });
  }
  const events = ["study_info", "trials", "param_names", "best", "importances", "error", "loaded"];
  for (const name of events) model.on(`change:${name}`, changed);
  draw();
  return () => {
    for (const name of events) model.off(`change:${name}`, changed);
  };
}

export default { render };
