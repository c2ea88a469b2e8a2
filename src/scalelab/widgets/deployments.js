// The DeploymentPanel's view. Plain DOM and no imports (offline machines, no build step). The
// kernel polls the service and syncs what changed; the buttons send requests to the kernel,
// which makes them with the user's own token and answers in `notice`.

// Promote and roll back change what serves: the first click asks, a second one within this
// many milliseconds does it.
const CONFIRM_MS = 4000;

export function esc(value) {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

export function fmtNum(value, digits = 4) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (!Number.isFinite(n)) return esc(value);
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(digits)));
}

export function fmtRate(rate) {
  if (rate === null || rate === undefined) return "";
  return `${fmtNum(100 * rate, 3)}%`;
}

function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  const p = (x) => String(x).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function versionLabel(version) {
  if (!version) return "";
  return version.name && version.version ? `${version.name}/${version.version}` : version.uri;
}

function readyCount(endpoint) {
  const replicas = endpoint.replicas || [];
  return `${replicas.filter((r) => r.ready).length}/${replicas.length}`;
}

function stateHtml(state) {
  const s = esc(state);
  return `<span class="slw-status slw-state-${s.toLowerCase()}">${s}</span>`;
}

export function endpointRowsHtml(endpoints, selected) {
  return endpoints
    .map((d) => {
      const stats = d.stats || {};
      const green = d.green ? `${esc(versionLabel(d.green))} (${d.green_share}%)` : "";
      const cls = d.name === selected ? ' class="slw-selected"' : "";
      return (
        `<tr data-name="${esc(d.name)}"${cls}>` +
        `<td class="slw-name">${esc(d.name)}</td>` +
        `<td>${stateHtml(d.state)}</td>` +
        `<td>${esc(versionLabel(d.blue))}</td>` +
        `<td>${green}</td>` +
        `<td class="slw-num">${readyCount(d)}</td>` +
        `<td class="slw-num">${fmtNum(stats.requests_per_second)}</td>` +
        `<td class="slw-num">${fmtNum(stats.p50_ms)}</td>` +
        `<td class="slw-num">${fmtNum(stats.p99_ms)}</td>` +
        `<td class="slw-num">${fmtRate(stats.error_rate)}</td></tr>`
      );
    })
    .join("");
}

// Who serves: each colour's version and its share of the traffic, and the version before.
export function versionsHtml(d) {
  const greenShare = d.green ? d.green_share : 0;
  const rows = [];
  if (d.blue) {
    rows.push(
      `<div class="slw-colour slw-blue"><span class="slw-swatch"></span>blue ` +
        `<strong>${esc(versionLabel(d.blue))}</strong> <span class="slw-share">` +
        `${100 - greenShare}%</span></div>`,
    );
  }
  if (d.green) {
    rows.push(
      `<div class="slw-colour slw-green"><span class="slw-swatch"></span>green ` +
        `<strong>${esc(versionLabel(d.green))}</strong> <span class="slw-share">` +
        `${greenShare}%</span></div>`,
    );
  }
  if (!rows.length) rows.push('<div class="slw-hint">no version serves yet</div>');
  const bar = d.blue
    ? `<div class="slw-split" title="traffic: blue ${100 - greenShare}%, green ${greenShare}%">` +
      `<div class="slw-split-blue" style="width:${100 - greenShare}%"></div>` +
      `<div class="slw-split-green" style="width:${greenShare}%"></div></div>`
    : "";
  const before = d.previous
    ? `<div class="slw-hint">before: ${esc(versionLabel(d.previous))}</div>`
    : "";
  return rows.join("") + bar + before;
}

export function statsHtml(d) {
  const s = d.stats || {};
  const figures = [
    ["requests/s", fmtNum(s.requests_per_second)],
    ["p50", s.p50_ms === null || s.p50_ms === undefined ? "–" : `${fmtNum(s.p50_ms)} ms`],
    ["p99", s.p99_ms === null || s.p99_ms === undefined ? "–" : `${fmtNum(s.p99_ms)} ms`],
    ["error rate", fmtRate(s.error_rate) || "–"],
    ["in flight", fmtNum(s.in_flight)],
    ["replicas", `${readyCount(d)} ready (${d.min_replicas}–${d.max_replicas})`],
  ];
  return figures
    .map(([label, value]) => `<div class="slw-figure"><span>${label}</span><b>${value}</b></div>`)
    .join("");
}

export function replicasHtml(replicas) {
  if (!replicas || !replicas.length) {
    return '<tr><td colspan="6" class="slw-hint">no replicas</td></tr>';
  }
  return replicas
    .map(
      (r) =>
        `<tr><td>${esc(r.id)}</td><td>${esc(r.colour)}</td><td>${esc(r.version)}</td>` +
        `<td>${r.ready ? "ready" : "starting"}</td>` +
        `<td class="slw-num">${fmtNum(r.in_flight)}</td>` +
        `<td class="slw-num">${fmtNum(r.served)}</td></tr>`,
    )
    .join("");
}

export function eventsHtml(events) {
  if (!events || !events.length) {
    return '<tr><td colspan="5" class="slw-hint">no events yet</td></tr>';
  }
  return events
    .map(
      (e) =>
        `<tr><td class="slw-time">${fmtTime(e.at)}</td>` +
        `<td><span class="slw-status slw-event-${esc(e.kind)}">${esc(e.kind)}</span></td>` +
        `<td>${esc(e.actor)}</td><td>${esc(e.version ?? "")}</td>` +
        `<td class="slw-message" title="${esc(e.message)}">${esc(e.message)}</td></tr>`,
    )
    .join("");
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not a secure context, or no permission: the old way, through a selection.
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let done = false;
    try {
      done = document.execCommand("copy");
    } catch {
      done = false;
    }
    area.remove();
    return done;
  }
}

function render({ model, el }) {
  el.classList.add("slw-root");
  el.innerHTML = `<div class="slw-deployments">
  <div class="slw-toolbar">
    <strong class="slw-title"></strong><span class="slw-count"></span>
    <span class="slw-role slw-hint"></span>
  </div>
  <div class="slw-error" role="alert" hidden></div>
  <div class="slw-scroll slw-endpoints-box">
    <table class="slw-table slw-endpoints"><thead><tr>
      <th>endpoint</th><th>state</th><th>blue</th><th>green (traffic)</th><th>ready</th>
      <th>requests/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th>
    </tr></thead><tbody></tbody></table>
  </div>
  <p class="slw-hint slw-pick" hidden>Click an endpoint for its details.</p>
  <div class="slw-detail" hidden>
    <div class="slw-detail-head">
      <strong class="slw-detail-name"></strong> <span class="slw-detail-state"></span>
      <code class="slw-url"></code>
    </div>
    <div class="slw-panels">
      <div class="slw-versions"></div>
      <div class="slw-stats"></div>
    </div>
    <div class="slw-scroll slw-replicas-box"><table class="slw-table slw-replicas"><thead><tr>
      <th>replica</th><th>colour</th><th>version</th><th>state</th><th>in flight</th>
      <th>served</th></tr></thead><tbody></tbody></table></div>
  </div>
  <div class="slw-actions" hidden>
    <button class="slw-promote" type="button" title="send all traffic to the new version now">
      Promote</button>
    <button class="slw-rollback" type="button" title="back to the version before">
      Roll back</button>
    <span class="slw-scale-box">replicas
      <input class="slw-min" type="number" min="1" step="1" aria-label="minimum replicas">–<input
        class="slw-max" type="number" min="1" step="1" aria-label="maximum replicas">
      <button class="slw-scale" type="button">Scale</button></span>
    <span class="slw-deploy-box">
      <input class="slw-deploy-name" aria-label="endpoint" placeholder="endpoint">
      <input class="slw-deploy-uri" aria-label="model URI" placeholder="models:/NAME/VERSION">
      <button class="slw-deploy" type="button">Deploy</button></span>
    <span class="slw-notice" role="status"></span>
  </div>
  <div class="slw-detail-more" hidden>
    <div class="slw-examples">
      <div class="slw-example">
        <div>curl <button class="slw-copy" type="button" data-which="curl">Copy</button></div>
        <pre class="slw-code slw-curl"></pre>
      </div>
      <div class="slw-example">
        <div>Python <button class="slw-copy" type="button" data-which="python">Copy</button></div>
        <pre class="slw-code slw-python"></pre>
      </div>
      <p class="slw-hint slw-columns"></p>
    </div>
    <div class="slw-history-title">history, newest first</div>
    <div class="slw-scroll slw-history-box"><table class="slw-table slw-events"><thead><tr>
      <th>at</th><th>event</th><th>by</th><th>version</th><th>message</th>
    </tr></thead><tbody></tbody></table></div>
  </div>
</div>`;
  const $ = (selector) => el.querySelector(selector);
  const ui = {
    title: $(".slw-title"),
    count: $(".slw-count"),
    role: $(".slw-role"),
    error: $(".slw-error"),
    endpointsBox: $(".slw-endpoints-box"),
    endpoints: $(".slw-endpoints tbody"),
    pick: $(".slw-pick"),
    detail: $(".slw-detail"),
    more: $(".slw-detail-more"),
    name: $(".slw-detail-name"),
    state: $(".slw-detail-state"),
    url: $(".slw-url"),
    versions: $(".slw-versions"),
    stats: $(".slw-stats"),
    replicas: $(".slw-replicas tbody"),
    actions: $(".slw-actions"),
    promote: $(".slw-promote"),
    rollback: $(".slw-rollback"),
    min: $(".slw-min"),
    max: $(".slw-max"),
    scale: $(".slw-scale"),
    scaleBox: $(".slw-scale-box"),
    deployName: $(".slw-deploy-name"),
    deployUri: $(".slw-deploy-uri"),
    deploy: $(".slw-deploy"),
    notice: $(".slw-notice"),
    curl: $(".slw-curl"),
    python: $(".slw-python"),
    columns: $(".slw-columns"),
    events: $(".slw-events tbody"),
  };
  const state = {
    filled: "", // the endpoint (and bounds) the replica inputs were last filled from
    armed: null, // the button clicked once, waiting for its confirming click
    armedTimer: null,
  };

  function current() {
    const name = model.get("selected");
    return (model.get("endpoints") || []).find((d) => d.name === name) || null;
  }

  function draw() {
    const endpoints = model.get("endpoints") || [];
    const fixed = model.get("fixed");
    const selected = model.get("selected") || "";
    const project = model.get("project") || "";
    const access = model.get("access") || {};
    const error = model.get("error");
    const loaded = model.get("loaded");

    ui.title.textContent = fixed
      ? `Endpoint ${selected}${project ? ` · project ${project}` : ""}`
      : `Endpoints${project ? ` of ${project}` : ""}`;
    ui.count.textContent =
      loaded || error ? (fixed ? "" : `${endpoints.length} endpoints`) : "loading…";
    ui.role.textContent = access.role ? `you: ${access.role}` : "";
    ui.error.hidden = !error;
    ui.error.textContent = error || "";

    ui.endpointsBox.hidden = fixed || (!endpoints.length && !loaded);
    ui.endpoints.innerHTML = endpoints.length
      ? endpointRowsHtml(endpoints, selected)
      : '<tr><td colspan="9" class="slw-hint">no endpoints yet</td></tr>';

    const d = current();
    ui.pick.hidden = fixed || !endpoints.length || Boolean(d);
    ui.detail.hidden = !d;
    ui.more.hidden = !d;
    if (d) drawDetail(d);

    // Only for those who may: the service refuses the others anyway.
    ui.actions.hidden = !access.can_act;
    ui.promote.hidden = ui.rollback.hidden = ui.scaleBox.hidden = !d;
    ui.promote.disabled = !(d && d.green);
    ui.rollback.disabled = !(d && (d.green || d.previous));
    ui.deployName.hidden = fixed;
    if (fixed) ui.deployName.value = selected;
    else if (d && !ui.deployName.value) ui.deployName.value = d.name;
    ui.deploy.disabled = Boolean(access.archived);
    ui.deploy.title = access.archived ? "the project is archived" : "deploy this model version";
  }

  function onNotice() {
    ui.notice.textContent = model.get("notice") || "";
  }

  function drawDetail(d) {
    ui.name.textContent = d.name;
    ui.state.innerHTML = stateHtml(d.state);
    ui.url.textContent = d.url || "";
    ui.versions.innerHTML = versionsHtml(d);
    ui.stats.innerHTML = statsHtml(d);
    ui.replicas.innerHTML = replicasHtml(d.replicas);
    // The bounds as the service has them, unless the user is typing new ones.
    const filled = `${d.name}:${d.min_replicas}:${d.max_replicas}`;
    const typing = [ui.min, ui.max].includes(document.activeElement);
    if (filled !== state.filled && !typing) {
      ui.min.value = d.min_replicas;
      ui.max.value = d.max_replicas;
      state.filled = filled;
    }
    const history = model.get("history") || {};
    ui.events.innerHTML =
      history.endpoint === d.name
        ? eventsHtml(history.events)
        : '<tr><td colspan="5" class="slw-hint">loading…</td></tr>';
    const examples = model.get("examples") || {};
    const mine = examples.endpoint === d.name;
    ui.curl.textContent = mine ? examples.curl : "…";
    ui.python.textContent = mine ? examples.python : "…";
    ui.columns.textContent =
      mine && !examples.columns_known
        ? "The model's columns are not known here: replace feature_1, feature_2 with its own."
        : "";
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

  function send(content, doing) {
    model.send(content);
    ui.notice.textContent = doing;
  }

  function disarm() {
    if (state.armed) state.armed.textContent = state.armed.dataset.label;
    clearTimeout(state.armedTimer);
    state.armed = null;
  }

  // The first click asks to confirm; the second (in time) acts.
  function confirmed(button) {
    if (state.armed === button) {
      disarm();
      return true;
    }
    disarm();
    button.dataset.label = button.textContent;
    button.textContent = `${button.textContent.trim()}: sure?`;
    state.armed = button;
    state.armedTimer = setTimeout(disarm, CONFIRM_MS);
    return false;
  }

  ui.endpoints.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-name]");
    if (!row || model.get("fixed")) return;
    const name = row.dataset.name === model.get("selected") ? "" : row.dataset.name;
    model.set("selected", name);
    model.save_changes();
    ui.deployName.value = name;
    disarm();
    draw();
  });
  ui.promote.addEventListener("click", () => {
    const d = current();
    if (d && confirmed(ui.promote)) {
      send({ kind: "promote", endpoint: d.name }, "promoting…");
    }
  });
  ui.rollback.addEventListener("click", () => {
    const d = current();
    if (d && confirmed(ui.rollback)) {
      send({ kind: "rollback", endpoint: d.name }, "rolling back…");
    }
  });
  ui.scale.addEventListener("click", () => {
    const d = current();
    if (!d) return;
    const low = Number(ui.min.value);
    const high = Number(ui.max.value);
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || low > high) {
      ui.notice.textContent = "Replicas: whole numbers from 1, the minimum at most the maximum";
      return;
    }
    send({ kind: "scale", endpoint: d.name, min: low, max: high }, "scaling…");
  });
  ui.deploy.addEventListener("click", () => {
    const name = (model.get("fixed") ? model.get("selected") : ui.deployName.value).trim();
    const uri = ui.deployUri.value.trim();
    if (!name || !uri) {
      ui.notice.textContent = "Deploy: give the endpoint and the model URI (models:/NAME/VERSION)";
      return;
    }
    send({ kind: "deploy", endpoint: name, model_uri: uri }, "deploying…");
  });
  for (const button of el.querySelectorAll(".slw-copy")) {
    button.addEventListener("click", async () => {
      const examples = model.get("examples") || {};
      const text = examples[button.dataset.which];
      if (!text) return;
      const done = await copyText(text);
      button.textContent = done ? "Copied" : "Select and copy it";
      setTimeout(() => {
        button.textContent = "Copy";
      }, 2000);
    });
  }

  const events = [
    "endpoints",
    "selected",
    "history",
    "examples",
    "access",
    "project",
    "error",
    "loaded",
  ];
  for (const name of events) model.on(`change:${name}`, changed);
  model.on("change:notice", onNotice);
  draw();
  onNotice();
  return () => {
    disarm();
    for (const name of events) model.off(`change:${name}`, changed);
    model.off("change:notice", onNotice);
  };
}

export default { render };
