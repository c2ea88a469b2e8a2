// The DriftReport's view. Plain DOM and no imports (offline machines, no build step): the
// columns' table, then the selected column's distributions and score over time as inline SVG.
// The kernel computes the distributions: a click sets `selected`, the kernel answers with
// `distribution`.

const DIST = { w: 520, h: 200, left: 44, right: 10, top: 10, bottom: 34 };
const LINE = { w: 520, h: 160, left: 44, right: 10, top: 10, bottom: 30 };
const CATEGORY_ORDER = { drift: 0, "possible drift": 1, unknown: 2, "no drift": 3 };
const HEADERS = [
  ["column", "column"],
  ["type", null],
  ["method", null],
  ["score", "score"],
  ["p-value", null],
  ["category", "category"],
  ["detail", null],
];

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

function fmtNum(value, digits = 4) {
  const n = toNumber(value);
  if (Number.isNaN(n)) return "";
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e6 || abs < 1e-3) return n.toExponential(2);
  return String(Number(n.toPrecision(digits)));
}

function pct(share) {
  return `${(100 * share).toFixed(1)}%`;
}

function f1(x) {
  return x.toFixed(1);
}

export function badge(category) {
  const cls = `slw-badge-${String(category).replace(/ /g, "-")}`;
  return `<span class="slw-badge ${esc(cls)}">${esc(category)}</span>`;
}

function detailText(row) {
  const parts = row.detail ? [row.detail] : [];
  for (const i of row.issues || []) parts.push(`${i.kind.replace(/_/g, " ")}: ${i.detail}`);
  return parts.join("; ");
}

// Rows in the kernel's order (most drifted first) unless a header was clicked.
export function sortedRows(rows, sort) {
  if (!sort.key) return rows;
  const sign = sort.desc ? -1 : 1;
  const key = (r) => {
    if (sort.key === "score") {
      const s = toNumber(r.score);
      return Number.isNaN(s) ? null : s;
    }
    if (sort.key === "category") return CATEGORY_ORDER[r.category] ?? 9;
    return r.column;
  };
  return rows
    .map((r, i) => [key(r), i, r])
    .sort(([a, i], [b, j]) => {
      if (a === b) return i - j;
      if (a === null) return 1; // no score: last either way
      if (b === null) return -1;
      return (a < b ? -1 : 1) * sign;
    })
    .map(([, , r]) => r);
}

export function rowsHtml(rows, selected) {
  return rows
    .map((r) => {
      const detail = detailText(r);
      const cls = r.column === selected ? ' class="slw-selected"' : "";
      return (
        `<tr data-column="${esc(r.column)}"${cls}>` +
        `<td class="slw-name">${esc(r.column)}</td><td>${esc(r.type)}</td>` +
        `<td>${esc(r.method)}</td>` +
        `<td class="slw-num">${r.score === null ? "" : toNumber(r.score).toFixed(4)}</td>` +
        `<td class="slw-num">${r.p_value === null ? "" : fmtNum(r.p_value, 3)}</td>` +
        `<td>${badge(r.category)}</td>` +
        `<td class="slw-message" title="${esc(detail)}">${esc(detail)}</td></tr>`
      );
    })
    .join("");
}

function legend(x, y) {
  return (
    `<rect class="slw-ref" x="${f1(x)}" y="${f1(y - 8)}" width="9" height="9"/>` +
    `<text x="${f1(x + 13)}" y="${f1(y)}">reference</text>` +
    `<rect class="slw-cur" x="${f1(x + 80)}" y="${f1(y - 8)}" width="9" height="9"/>` +
    `<text x="${f1(x + 93)}" y="${f1(y)}">current</text>`
  );
}

function peakOf(sides) {
  let peak = 1e-9;
  for (const [, shares] of sides) for (const v of shares || []) peak = Math.max(peak, v);
  return peak;
}

function numericSvg(dist) {
  const { w, h, left, right, top, bottom } = DIST;
  const edges = dist.edges;
  const sides = [
    ["slw-ref", dist.reference, "reference"],
    ["slw-cur", dist.current, "current"],
  ];
  const bins = edges.length - 1;
  const peak = peakOf(sides);
  const step = (w - left - right) / bins;
  const bar = step * 0.42;
  const bars = [];
  for (let i = 0; i < bins; i += 1) {
    sides.forEach(([cls, shares, name], j) => {
      if (!shares) return;
      const height = ((h - top - bottom) * shares[i]) / peak;
      const x = left + i * step + step * 0.08 + j * bar;
      bars.push(
        `<rect class="${cls}" x="${f1(x)}" y="${f1(h - bottom - height)}" width="${f1(bar)}" ` +
          `height="${f1(height)}"><title>${name} ${fmtNum(edges[i])} to ` +
          `${fmtNum(edges[i + 1])}: ${pct(shares[i])}</title></rect>`,
      );
    });
  }
  return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart slw-dist" role="img"
 aria-label="${esc(dist.column)}: reference and current histograms">
<line class="slw-axis" x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}"/>
<text x="${left - 4}" y="${top + 8}" text-anchor="end">${Math.round(100 * peak)}%</text>
<text x="${left}" y="${h - bottom + 13}">${fmtNum(edges[0])}</text>
<text x="${w - right}" y="${h - bottom + 13}" text-anchor="end">${fmtNum(edges[bins])}</text>
${bars.join("")}${legend(left, h - 4)}</svg>`;
}

function categoricalSvg(dist) {
  const labels = dist.labels;
  const sides = [
    ["slw-ref", dist.reference],
    ["slw-cur", dist.current],
  ];
  const row = 26;
  const labelW = 130;
  const w = DIST.w;
  const top = 6;
  const h = top + row * labels.length + 22;
  const peak = peakOf(sides);
  const span = w - labelW - 60;
  const parts = [];
  labels.forEach((label, i) => {
    const y = top + i * row;
    const short = label.length <= 18 ? label : `${label.slice(0, 17)}…`;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(short)}` +
        `<title>${esc(label)}</title></text>`,
    );
    sides.forEach(([cls, shares], j) => {
      if (!shares) return;
      const width = (span * shares[i]) / peak;
      const yy = y + 2 + j * 11;
      parts.push(
        `<rect class="${cls}" x="${labelW}" y="${yy}" width="${f1(width)}" height="10"/>` +
          `<text x="${f1(labelW + width + 4)}" y="${yy + 9}">${pct(shares[i])}</text>`,
      );
    });
  });
  return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart slw-dist" role="img"
 aria-label="${esc(dist.column)}: reference and current shares">
${parts.join("")}${legend(labelW, h - 4)}</svg>`;
}

export function distributionSvg(dist) {
  if (dist.kind === "numeric" && dist.edges) return numericSvg(dist);
  if (dist.kind === "categorical") return categoricalSvg(dist);
  return `<p class="slw-hint">${esc(dist.note || "nothing to show")}</p>`;
}

// The score of each window, the thresholds of the column's method as dashed lines.
export function historySvg(points, limits) {
  const { w, h, left, right, top, bottom } = LINE;
  const scores = points.map((p) => toNumber(p[1])).filter((v) => Number.isFinite(v));
  if (!scores.length) return '<p class="slw-hint">no score in any window</p>';
  const hi = Math.max(...scores, ...(limits || [])) * 1.15 || 1;
  const n = points.length;
  const x = (i) => left + (n === 1 ? 0.5 : i / (n - 1)) * (w - left - right);
  const y = (v) => top + (1 - v / hi) * (h - top - bottom);
  const parts = [];
  (limits || []).forEach((value, k) => {
    const name = k === 0 ? "possible drift" : "drift";
    const cls = k === 0 ? "slw-limit-possible" : "slw-limit-drift";
    parts.push(
      `<line class="slw-limit ${cls}" x1="${left}" y1="${f1(y(value))}" x2="${w - right}" ` +
        `y2="${f1(y(value))}"><title>${name} at ${value}</title></line>`,
    );
  });
  let line = [];
  const segments = [];
  points.forEach(([, score], i) => {
    const v = toNumber(score);
    if (Number.isFinite(v)) line.push(`${f1(x(i))},${f1(y(v))}`);
    else if (line.length) {
      segments.push(line);
      line = [];
    }
  });
  if (line.length) segments.push(line);
  for (const s of segments) parts.push(`<polyline class="slw-best" points="${s.join(" ")}"/>`);
  points.forEach(([label, score, category], i) => {
    const v = toNumber(score);
    if (!Number.isFinite(v)) return;
    const cls = `slw-dot-${String(category).replace(/ /g, "-")}`;
    parts.push(
      `<circle class="${esc(cls)}" cx="${f1(x(i))}" cy="${f1(y(v))}" r="3.5">` +
        `<title>${esc(label)}: ${v.toFixed(4)} (${esc(category)})</title></circle>`,
    );
  });
  const last =
    n > 1
      ? `<text x="${w - right}" y="${h - 10}" text-anchor="end">${esc(points[n - 1][0])}</text>`
      : "";
  return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart slw-history" role="img"
 aria-label="drift score over time">
<line class="slw-axis" x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}"/>
<line class="slw-axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}"/>
<text x="${left - 4}" y="${top + 8}" text-anchor="end">${fmtNum(hi, 2)}</text>
<text x="${left - 4}" y="${h - bottom}" text-anchor="end">0</text>
<text x="${left}" y="${h - 10}">${esc(points[0][0])}</text>${last}
${parts.join("")}</svg>`;
}

function statsText(stats) {
  if (!stats) return "";
  const side = (name, s) => {
    if (!s) return "";
    let text = `${name}: ${s.count} rows, ${pct(s.missing)} missing`;
    if (s.mean !== undefined) text += `, mean ${fmtNum(s.mean)} [${fmtNum(s.min)}, ${fmtNum(s.max)}]`;
    return text;
  };
  return [side("reference", stats.reference), side("current", stats.current)]
    .filter(Boolean)
    .join(" · ");
}

function summaryText(summary, rows) {
  const counts = summary.counts || {};
  const found = Object.entries(counts)
    .filter(([, n]) => n)
    .map(([category, n]) => `${n} ${category}`);
  const parts = [`${rows.length} columns${found.length ? ` (${found.join(", ")})` : ""}`];
  if (summary.current_rows !== null && summary.current_rows !== undefined) {
    parts.push(`current ${summary.current}: ${summary.current_rows} rows`);
  }
  parts.push(`reference ${summary.reference_rows ?? 0} rows`);
  const windows = summary.windows || [];
  if (windows.length > 1) parts.push(`${windows.length} windows`);
  return parts.join(" · ");
}

function render({ model, el }) {
  el.classList.add("slw-root");
  el.innerHTML = `<div class="slw-drift">
  <div class="slw-toolbar"><strong class="slw-title"></strong><span class="slw-count"></span></div>
  <div class="slw-error" role="alert" hidden></div>
  <div class="slw-notes slw-hint" hidden></div>
  <div class="slw-scroll"><table class="slw-table slw-drift-table"><thead></thead><tbody></tbody>
  </table></div>
  <div class="slw-detail" hidden>
    <div class="slw-detail-head"><strong class="slw-drift-column"></strong>
      <span class="slw-drift-badge"></span><span class="slw-hint slw-drift-meta"></span></div>
    <div class="slw-hint slw-drift-stats"></div>
    <div class="slw-panels">
      <div class="slw-chart-box"><div>reference vs current</div><div class="slw-dist-slot"></div></div>
      <div class="slw-chart-box"><div>score over time</div><div class="slw-history-slot"></div></div>
    </div>
  </div>
</div>`;
  const $ = (selector) => el.querySelector(selector);
  const ui = {
    title: $(".slw-title"),
    count: $(".slw-count"),
    error: $(".slw-error"),
    notes: $(".slw-notes"),
    thead: $("thead"),
    tbody: $("tbody"),
    detail: $(".slw-detail"),
    column: $(".slw-drift-column"),
    badge: $(".slw-drift-badge"),
    meta: $(".slw-drift-meta"),
    stats: $(".slw-drift-stats"),
    dist: $(".slw-dist-slot"),
    history: $(".slw-history-slot"),
  };
  const sort = { key: null, desc: true };

  function drawTable() {
    const rows = model.get("columns") || [];
    const selected = model.get("selected") || "";
    ui.thead.innerHTML = `<tr>${HEADERS.map(([label, key]) => {
      if (!key) return `<th>${esc(label)}</th>`;
      const arrow = sort.key === key ? (sort.desc ? " ▾" : " ▴") : "";
      return `<th data-key="${key}">${esc(label)}${arrow}</th>`;
    }).join("")}</tr>`;
    ui.tbody.innerHTML = rows.length
      ? rowsHtml(sortedRows(rows, sort), selected)
      : `<tr><td colspan="${HEADERS.length}">no columns</td></tr>`;
  }

  function drawDetail() {
    const rows = model.get("columns") || [];
    const selected = model.get("selected") || "";
    const row = rows.find((r) => r.column === selected);
    ui.detail.hidden = !row;
    if (!row) return;
    ui.column.textContent = row.column;
    ui.badge.innerHTML = badge(row.category);
    const score = row.score === null ? "" : ` ${toNumber(row.score).toFixed(4)}`;
    ui.meta.textContent = `${row.method}${score}${row.detail ? ` · ${row.detail}` : ""}`;
    const dist = model.get("distribution") || {};
    if (dist.column !== selected) {
      ui.stats.textContent = "";
      ui.dist.innerHTML = '<p class="slw-hint">loading…</p>';
    } else {
      ui.stats.textContent = statsText(dist.stats);
      ui.dist.innerHTML = distributionSvg(dist);
    }
    const limits = (model.get("thresholds") || {})[row.method] || null;
    ui.history.innerHTML = historySvg((model.get("history") || {})[selected] || [], limits);
  }

  function draw() {
    const rows = model.get("columns") || [];
    const summary = model.get("summary") || {};
    ui.title.textContent = model.get("title") || "Drift";
    ui.count.textContent = summaryText(summary, rows);
    const error = model.get("error");
    ui.error.hidden = !error;
    ui.error.textContent = error || "";
    const notes = summary.notes || [];
    ui.notes.hidden = !notes.length;
    ui.notes.textContent = notes.join(" · ");
    drawTable();
    drawDetail();
  }

  ui.thead.addEventListener("click", (event) => {
    const th = event.target.closest("th[data-key]");
    if (!th) return;
    const key = th.dataset.key;
    // Score and category: most drifted first on the first click; names A to Z.
    if (sort.key === key) sort.desc = !sort.desc;
    else [sort.key, sort.desc] = [key, key === "score"];
    drawTable();
  });
  ui.tbody.addEventListener("click", (event) => {
    const tr = event.target.closest("tr[data-column]");
    if (!tr) return;
    model.set("selected", tr.dataset.column);
    model.save_changes();
  });

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
  const events = [
    "title",
    "summary",
    "thresholds",
    "columns",
    "selected",
    "distribution",
    "history",
    "error",
  ];
  for (const name of events) model.on(`change:${name}`, changed);
  draw();
  return () => {
    for (const name of events) model.off(`change:${name}`, changed);
  };
}

export default { render };
