// The ExperimentBoard's view. Plain DOM and no imports: the machines are offline and there is
// no build step. The table body is written as one HTML string per render, so 1,000 runs cost
// one parse and one layout, and sorting and filtering never go back to the kernel.

const OPS = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "=": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};
const CONDITION = /^(.+?)(<=|>=|!=|<|>|=)(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;
const FIXED = [
  ["name", "run"],
  ["status", "status"],
  ["start", "start"],
  ["user", "user"],
];
// Column widths (em) for a fixed table layout: the browser then sizes columns from these
// instead of measuring all 1,000 rows, which took most of the first paint.
const WIDTHS = { select: 2, name: 12, status: 7, start: 9.5, user: 6, metric: 7, param: 7, links: 9 };
// Laying out a table costs ~0.2 ms per row on a slow machine: the first frame gets the rows
// one can see (and some to scroll to), each later frame a chunk more.
const FIRST_ROWS = 100;
const CHUNK_ROWS = 300;
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
  return Number(value); // "Infinity" comes from Python for infinite metrics
}

export function fmtNum(value) {
  const n = toNumber(value);
  if (Number.isNaN(n)) return esc(value ?? "");
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e6 || abs < 1e-3) return n.toExponential(3);
  return String(Number(n.toPrecision(5)));
}

function fmtTime(millis) {
  if (millis === null || millis === undefined) return "";
  const d = new Date(millis);
  const p = (x) => String(x).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function safeHref(url) {
  // Tags are written by whoever logs the run: only web links, never javascript: and the like.
  return /^(https?:\/\/|\/)/i.test(url) ? url : null;
}

export function cellValue(run, key) {
  if (key.startsWith("m:")) return run.metrics[key.slice(2)];
  if (key.startsWith("p:")) return run.params[key.slice(2)];
  return run[key];
}

export function resolveColumn(name, columns) {
  const lower = name.toLowerCase();
  for (const [prefix, kind, list] of [
    ["metrics.", "m:", columns.metrics],
    ["params.", "p:", columns.params],
  ]) {
    if (lower.startsWith(prefix)) {
      const key = list.find((k) => k.toLowerCase() === lower.slice(prefix.length));
      return key === undefined ? null : kind + key;
    }
  }
  const metric = columns.metrics.find((k) => k.toLowerCase() === lower);
  if (metric !== undefined) return `m:${metric}`;
  const param = columns.params.find((k) => k.toLowerCase() === lower);
  if (param !== undefined) return `p:${param}`;
  return null;
}

// Terms separated by spaces or commas must all match. `col<op>number` tests one column;
// anything else is looked for in the run's name, status, user, id and `key=value` pairs.
export function parseFilter(text, columns) {
  const terms = text
    .replace(/\s*(<=|>=|!=|<|>|=)\s*/g, "$1")
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  const tests = [];
  const problems = [];
  for (const term of terms) {
    const match = CONDITION.exec(term);
    const column = match ? resolveColumn(match[1], columns) : null;
    if (match && column) {
      const op = OPS[match[2]];
      const target = Number(match[3]);
      tests.push((run) => {
        const value = toNumber(cellValue(run, column));
        return !Number.isNaN(value) && op(value, target);
      });
    } else {
      if (match && !term.includes("=")) problems.push(`no column "${match[1]}"`);
      const needle = term.toLowerCase();
      tests.push((run) => run._text.includes(needle));
    }
  }
  return { test: (run) => tests.every((t) => t(run)), problem: problems.join("; ") };
}

function sortValue(run, key) {
  const raw = cellValue(run, key);
  if (raw === null || raw === undefined || raw === "") return null;
  if (key === "start") return raw;
  const n = toNumber(raw);
  if (key.startsWith("m:")) return Number.isNaN(n) ? null : n;
  return Number.isNaN(n) ? String(raw) : n;
}

function comparator(key, dir) {
  return (a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    // Runs without the value go last in both directions: they are not "smallest".
    if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
    const c =
      typeof va === "number" && typeof vb === "number"
        ? va - vb
        : String(va).localeCompare(String(vb), undefined, { numeric: true });
    return dir * c;
  };
}

function linksHtml(links) {
  const out = [];
  for (const [key, label, title] of [
    ["mlflow", "MLflow", "this run in the MLflow UI"],
    ["run", "run", "the ScaleLab run"],
    ["output", "output", "the executed notebook"],
  ]) {
    const href = links && safeHref(links[key] || "");
    if (href) {
      out.push(`<a href="${esc(href)}" target="_blank" rel="noopener" title="${title}">${label}</a>`);
    }
  }
  return out.join(" ");
}

function prepare(raw) {
  const runs = raw.map((run) => {
    const pairs = [run.name, run.status, run.user, run.id];
    for (const [k, v] of Object.entries(run.params)) pairs.push(`${k}=${v}`);
    for (const [k, v] of Object.entries(run.metrics)) pairs.push(`${k}=${v}`);
    return { ...run, _time: fmtTime(run.start), _text: pairs.join("\n").toLowerCase() };
  });
  return { runs, byId: new Map(runs.map((r) => [r.id, r])) };
}

function rowHtml(run, columns, selected) {
  const id = esc(run.id);
  const status = esc(run.status);
  const checked = selected ? " checked" : "";
  const cells = [
    `<td><input type="checkbox" data-id="${id}" aria-label="compare"${checked}></td>`,
    `<td class="slw-name" title="${id}">${esc(run.name)}</td>`,
    `<td><span class="slw-status slw-${status.toLowerCase()}">${status}</span></td>`,
    `<td class="slw-time">${run._time}</td>`,
    `<td>${esc(run.user)}</td>`,
  ];
  for (const m of columns.metrics) cells.push(`<td class="slw-num">${fmtNum(run.metrics[m])}</td>`);
  for (const p of columns.params) {
    const v = run.params[p];
    cells.push(v === undefined ? "<td></td>" : `<td title="${esc(v)}">${esc(v)}</td>`);
  }
  cells.push(`<td class="slw-links">${linksHtml(run.links)}</td>`);
  return `<tr data-id="${id}"${selected ? ' class="slw-selected"' : ""}>${cells.join("")}</tr>`;
}

function colgroupHtml(columns) {
  const widths = [WIDTHS.select, WIDTHS.name, WIDTHS.status, WIDTHS.start, WIDTHS.user];
  for (const _ of columns.metrics) widths.push(WIDTHS.metric);
  for (const _ of columns.params) widths.push(WIDTHS.param);
  widths.push(WIDTHS.links);
  const total = widths.reduce((a, b) => a + b, 0);
  return [widths.map((w) => `<col style="width:${w}em">`).join(""), total];
}

function headerHtml(columns, sort) {
  const th = (key, label, cls, title) => {
    const mark = sort.key === key ? (sort.dir > 0 ? " ▲" : " ▼") : "";
    return `<th data-key="${esc(key)}" class="${cls}" title="${esc(title)}">${esc(label)}${mark}</th>`;
  };
  const cells = ['<th title="tick two runs to compare them"></th>'];
  for (const [key, label] of FIXED) cells.push(th(key, label, "", `sort by ${label}`));
  for (const m of columns.metrics) cells.push(th(`m:${m}`, m, "slw-metric-col", `metric ${m}`));
  for (const p of columns.params) cells.push(th(`p:${p}`, p, "slw-param-col", `param ${p}`));
  cells.push("<th>links</th>");
  return `<tr>${cells.join("")}</tr>`;
}

export function chartSvg(runs, metric) {
  const points = runs
    .map((run) => [run, toNumber(run.metrics[metric])])
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => (a[0].start ?? 0) - (b[0].start ?? 0));
  const { w, h, left, right, top, bottom } = SVG;
  if (!points.length) {
    return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart">
<text x="${w / 2}" y="${h / 2}" text-anchor="middle">no values of ${esc(metric)}</text></svg>`;
  }
  const values = points.map(([, v]) => v);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (i) => left + (points.length === 1 ? 0.5 : i / (points.length - 1)) * (w - left - right);
  const y = (v) => top + (1 - (v - lo) / span) * (h - top - bottom);
  const line = points.map(([, v], i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const dots = points
    .map(
      ([run, v], i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" data-id="${esc(run.id)}">` +
        `<title>${esc(run.name)}: ${fmtNum(v)}</title></circle>`,
    )
    .join("");
  const first = points[0][0];
  const last = points[points.length - 1][0];
  const label = `${esc(metric)} across runs`;
  return `<svg viewBox="0 0 ${w} ${h}" class="slw-chart" role="img" aria-label="${label}">
<line class="slw-axis" x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}"/>
<line class="slw-axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}"/>
<text x="${left - 6}" y="${top + 4}" text-anchor="end">${fmtNum(hi)}</text>
<text x="${left - 6}" y="${h - bottom}" text-anchor="end">${fmtNum(lo)}</text>
<text x="${left}" y="${h - 10}">${esc(fmtTime(first.start))}</text>
<text x="${w - right}" y="${h - 10}" text-anchor="end">${esc(fmtTime(last.start))}</text>
<polyline class="slw-line" points="${line}"/>${dots}</svg>`;
}

export function compareHtml(a, b) {
  const rows = [
    ["status", a.status, b.status],
    ["start", a._time, b._time],
    ["user", a.user, b.user],
  ];
  const union = (x, y) => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  for (const m of union(a.metrics, b.metrics)) {
    rows.push([`metric ${m}`, a.metrics[m], b.metrics[m], true]);
  }
  for (const p of union(a.params, b.params)) rows.push([`param ${p}`, a.params[p], b.params[p]]);
  const body = rows
    .map(([label, va, vb, numeric]) => {
      const differ = String(va ?? "") !== String(vb ?? "");
      const show = (v) => (numeric ? fmtNum(v) : esc(v ?? ""));
      const cls = differ ? ' class="slw-diff"' : "";
      return `<tr${cls}><th>${esc(label)}</th><td>${show(va)}</td><td>${show(vb)}</td></tr>`;
    })
    .join("");
  const head = `<tr><th></th><th>${esc(a.name)}</th><th>${esc(b.name)}</th></tr>`;
  return `<table class="slw-compare-table"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function render({ model, el }) {
  el.classList.add("slw-root");
  el.innerHTML = `<div class="slw-board">
  <div class="slw-toolbar">
    <strong class="slw-title"></strong>
    <input class="slw-filter" type="search" aria-label="filter runs"
      placeholder="filter: text, or accuracy>0.9">
    <span class="slw-count"></span>
    <a class="slw-exp-link" target="_blank" rel="noopener" hidden>MLflow UI</a>
  </div>
  <div class="slw-error" role="alert" hidden></div>
  <div class="slw-scroll">
    <table class="slw-table slw-fixed"><colgroup></colgroup><thead></thead><tbody></tbody></table>
  </div>
  <div class="slw-panels">
    <div class="slw-chart-box">
      <label>metric <select class="slw-metric"></select></label>
      <div class="slw-chart-slot"></div>
    </div>
    <div class="slw-compare"><p class="slw-hint">Tick two runs to compare them.</p></div>
  </div>
  <div class="slw-register">
    <span class="slw-register-run">Tick a run to register the model it logged.</span>
    <input class="slw-register-name" aria-label="model name" disabled>
    <select class="slw-register-alias" aria-label="alias" disabled>
      <option>challenger</option><option>champion</option><option value="">no alias</option>
    </select>
    <button class="slw-register-button" type="button" disabled>Register model</button>
    <span class="slw-notice" role="status"></span>
  </div>
</div>`;
  const $ = (selector) => el.querySelector(selector);
  const ui = {
    title: $(".slw-title"),
    filter: $(".slw-filter"),
    count: $(".slw-count"),
    expLink: $(".slw-exp-link"),
    error: $(".slw-error"),
    table: $(".slw-table"),
    colgroup: $("colgroup"),
    thead: $("thead"),
    tbody: $("tbody"),
    metric: $(".slw-metric"),
    chart: $(".slw-chart-slot"),
    compare: $(".slw-compare"),
    registerRun: $(".slw-register-run"),
    registerName: $(".slw-register-name"),
    registerAlias: $(".slw-register-alias"),
    registerButton: $(".slw-register-button"),
    notice: $(".slw-notice"),
  };
  const state = {
    data: prepare([]),
    columns: { params: [], metrics: [] },
    sort: { key: "start", dir: -1 },
    selected: [], // ids of the runs ticked for comparison, at most two
    visible: [], // the runs the filter lets through, in table order
    generation: 0, // of the table's contents, so stale chunks are not appended
  };

  function renderRows() {
    const filter = parseFilter(ui.filter.value, state.columns);
    const order = comparator(state.sort.key, state.sort.dir);
    const visible = state.data.runs.filter(filter.test).sort(order);
    state.visible = visible;
    const chosen = new Set(state.selected);
    const columns = state.columns;
    writeRows(visible.map((run) => (chosen.has(run.id) ? rowHtml(run, columns, true) : run._html)));
    const total = state.data.runs.length;
    const shown = visible.length === total ? `${total} runs` : `${visible.length} of ${total} runs`;
    ui.count.textContent = filter.problem ? `${shown} · ${filter.problem}` : shown;
  }

  function writeRows(rows) {
    const generation = ++state.generation;
    ui.tbody.innerHTML = rows.slice(0, FIRST_ROWS).join("");
    let next = FIRST_ROWS;
    // Right after a frame, so that each frame lays out one chunk only.
    const afterFrame = () => requestAnimationFrame(() => setTimeout(more, 0));
    const more = () => {
      // A newer sort, filter or update has rewritten the table meanwhile.
      if (generation !== state.generation || next >= rows.length) return;
      ui.tbody.insertAdjacentHTML("beforeend", rows.slice(next, next + CHUNK_ROWS).join(""));
      next += CHUNK_ROWS;
      afterFrame();
    };
    afterFrame();
  }

  function renderChart() {
    const metric = ui.metric.value;
    ui.chart.innerHTML = metric
      ? chartSvg(state.visible, metric)
      : '<p class="slw-hint">No metrics logged yet.</p>';
  }

  function renderCompare() {
    const [a, b] = state.selected.map((id) => state.data.byId.get(id));
    ui.compare.innerHTML =
      a && b ? compareHtml(a, b) : '<p class="slw-hint">Tick two runs to compare them.</p>';
  }

  // The run ticked last is the one to register.
  function renderRegister() {
    const run = state.data.byId.get(state.selected.at(-1));
    ui.registerRun.textContent = run
      ? `Register the model of ${run.name} as`
      : "Tick a run to register the model it logged.";
    for (const input of [ui.registerName, ui.registerAlias, ui.registerButton]) {
      input.disabled = !run;
    }
  }

  function onNotice() {
    ui.notice.textContent = model.get("notice") || "";
  }

  function renderMetricChoice() {
    const current = ui.metric.value;
    const metrics = state.columns.metrics;
    ui.metric.innerHTML = metrics.map((m) => `<option>${esc(m)}</option>`).join("");
    if (metrics.includes(current)) ui.metric.value = current;
  }

  function onData() {
    state.columns = model.get("columns") || { params: [], metrics: [] };
    state.data = prepare(model.get("runs") || []);
    for (const run of state.data.runs) run._html = rowHtml(run, state.columns, false);
    state.selected = state.selected.filter((id) => state.data.byId.has(id));
    const [cols, width] = colgroupHtml(state.columns);
    ui.colgroup.innerHTML = cols;
    ui.table.style.width = `${width}em`;
    ui.thead.innerHTML = headerHtml(state.columns, state.sort);
    renderMetricChoice();
    renderRows();
    renderChart();
    renderCompare();
    renderRegister();
  }

  function onExperiment() {
    const experiment = model.get("experiment") || {};
    ui.registerName.placeholder = experiment.name || "model name";
    ui.title.textContent = experiment.name ? `Experiment ${experiment.name}` : "Experiment";
    const href = safeHref(experiment.url || "");
    ui.expLink.hidden = !href;
    if (href) ui.expLink.href = href;
  }

  function onStatus() {
    const error = model.get("error");
    ui.error.hidden = !error;
    ui.error.textContent = error || "";
    if (!model.get("loaded") && !error) ui.count.textContent = "loading…";
  }

  ui.thead.addEventListener("click", (event) => {
    const th = event.target.closest("th[data-key]");
    if (!th) return;
    const key = th.dataset.key;
    // Numbers are most often wanted best-first; names and the like A to Z.
    const first = key.startsWith("m:") || key === "start" ? -1 : 1;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : first };
    ui.thead.innerHTML = headerHtml(state.columns, state.sort);
    renderRows();
  });
  ui.tbody.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.matches("input[type=checkbox]")) return;
    const id = box.dataset.id;
    state.selected = state.selected.filter((x) => x !== id);
    if (box.checked) state.selected.push(id);
    if (state.selected.length > 2) {
      const dropped = state.selected.shift();
      const row = ui.tbody.querySelector(`tr[data-id="${CSS.escape(dropped)}"]`);
      if (row) {
        row.classList.remove("slw-selected");
        row.querySelector("input").checked = false;
      }
    }
    box.closest("tr").classList.toggle("slw-selected", box.checked);
    renderCompare();
    renderRegister();
  });
  ui.registerButton.addEventListener("click", () => {
    const runId = state.selected.at(-1);
    if (!runId) return;
    // The kernel registers with the user's own credentials and answers in `notice`.
    model.send({
      kind: "register",
      run_id: runId,
      name: ui.registerName.value.trim(),
      alias: ui.registerAlias.value,
    });
    ui.notice.textContent = "registering…";
  });
  ui.filter.addEventListener("input", () => {
    renderRows();
    renderChart();
  });
  ui.metric.addEventListener("change", renderChart);

  // Runs and columns change in one message but fire two events: draw once for both.
  let dataPending = false;
  function dataChanged() {
    if (dataPending) return;
    dataPending = true;
    queueMicrotask(() => {
      dataPending = false;
      onData();
    });
  }

  const handlers = [
    ["change:runs change:columns", dataChanged],
    ["change:experiment", onExperiment],
    ["change:error change:loaded", onStatus],
    ["change:notice", onNotice],
  ];
  for (const [events, handler] of handlers) {
    for (const name of events.split(" ")) model.on(name, handler);
  }
  onExperiment();
  onData();
  onStatus();
  onNotice();
  return () => {
    for (const [events, handler] of handlers) {
      for (const name of events.split(" ")) model.off(name, handler);
    }
  };
}

export default { render };
