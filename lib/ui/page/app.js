// The dashboard page: plain DOM, no framework. Data from /api/*, live events
// pushed by the server (/api/events, Server-Sent Events), the history chart
// drawn by uPlot (shipped with the program). Text is always set with
// textContent: nothing a file name holds is ever parsed as HTML.
"use strict";

const token = document.querySelector('meta[name="backup-token"]').content;
const state = { jobs: [], job: null, page: "overview", oldest: null, liveOps: [] };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

function bytes(n) {
  if (typeof n !== "number") return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString();
}

async function api(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== "" && v !== undefined) url.searchParams.set(k, v);
  }
  if (state.job) url.searchParams.set("job", state.job);
  const res = await fetch(url, { credentials: "same-origin" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

async function post(path, body) {
  const url = new URL(path, location.origin);
  if (state.job) url.searchParams.set("job", state.job);
  const res = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-backup-token": token },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error || res.statusText);
  return answer;
}

function showError(where, err) {
  where.replaceChildren(el("span", { class: "outcome-failed" }, String(err.message || err)));
}

// ---- overview ----
function card(o) {
  const s = o.status;
  const last = s && s.lastPass;
  const stateClass = "state state-" + o.state.replace(/\s+/g, "-");
  const rows = [
    ["source", o.job.source ?? "(from the journal)"],
    ["destination", o.destination ?? o.job.dest],
    [
      "last pass",
      last
        ? `${
          when(last.endedAt)
        }: ${last.copied} copied, ${last.deleted} deleted, ${last.failed} failed, ${
          (last.durationMs / 1000).toFixed(1)
        } s`
        : "none yet",
    ],
    ["next full pass", o.nextPass ? when(o.nextPass) : "-"],
    [
      "totals",
      s
        ? `${s.totals.copied} copied (${
          bytes(s.totals.bytes)
        }), ${s.totals.deleted} deleted, ${s.totals.failed} failed in ${s.passes} passes`
        : "-",
    ],
    [
      "free space",
      o.space ? `${bytes(o.space.available)} of ${bytes(o.space.size)}` : o.spaceNote ?? "unknown",
    ],
  ];
  if (o.verify) rows.push(["verification", o.verify]);
  const dl = el("dl");
  for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, v));
  return el(
    "article",
    { class: "job-card", "data-job": o.job.name, "data-state": o.state },
    el("h2", {}, o.job.name, " ", el("span", { class: stateClass }, o.state)),
    o.reason ? el("div", { class: "reason" }, o.reason) : "",
    dl,
  );
}

async function loadOverview() {
  const box = document.getElementById("overview");
  try {
    const body = await api("/api/jobs");
    state.jobs = body.jobs;
    state.confirm = body.confirm;
    const select = document.getElementById("job");
    if (select.options.length !== body.jobs.length) {
      select.replaceChildren(
        ...body.jobs.map((o) => el("option", { value: o.job.name }, o.job.name)),
      );
      if (!state.job) state.job = body.jobs[0]?.job.name ?? null;
      select.value = state.job;
    }
    box.replaceChildren(el("div", { class: "cards" }, ...body.jobs.map(card)));
    const problems = body.jobs.filter((o) =>
      ["paused", "deletions held", "failing"].includes(o.state)
    ).length;
    document.getElementById("problem-count").textContent = problems ? `(${problems})` : "";
  } catch (err) {
    showError(box, err);
  }
}

// ---- live ----
function showProgress(e) {
  const bar = document.getElementById("live-progress");
  const words = document.getElementById("live-state");
  const numbers = document.getElementById("live-numbers");
  if (!e) {
    words.textContent = "no pass running";
    bar.value = 0;
    numbers.textContent = "";
    return;
  }
  const total = e.bytes > 0 ? e.bytes : e.ops;
  const done = e.bytes > 0 ? e.bytesDone : e.opsDone;
  bar.value = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  words.textContent = `pass ${e.pass}: ${e.opsDone ?? 0} of ${e.ops} operations`;
  const rate = e.bytesPerSecond ? `${bytes(e.bytesPerSecond)}/s` : "";
  const eta = typeof e.etaSeconds === "number" ? `, about ${e.etaSeconds} s left` : "";
  numbers.textContent = `${e.filesDone ?? 0} of ${e.files} files, ${bytes(e.bytesDone ?? 0)} of ${
    bytes(e.bytes)
  } ${rate}${eta}`;
}

function addOp(e) {
  const list = document.getElementById("live-ops");
  const item = el(
    "li",
    { "data-op": e.op, "data-path": e.path, class: "outcome-" + e.outcome },
    `${new Date(e.time).toLocaleTimeString()} ${e.op} ${e.path}${
      e.outcome !== "ok" ? " - " + e.outcome + (e.reason ? ": " + e.reason : "") : ""
    }`,
  );
  list.prepend(item);
  while (list.children.length > 200) list.lastChild.remove();
}

function onLive(e) {
  if (e.job !== state.job) return;
  if (e.event === "op") addOp(e);
  else if (e.event === "progress" || e.event === "pass-start") showProgress(e);
  else if (e.event === "pass" || e.event === "stop") {
    showProgress(null);
    refresh();
  }
}

function connect() {
  const status = document.getElementById("connection");
  const source = new EventSource("/api/events");
  source.addEventListener("hello", (m) => {
    status.textContent = JSON.parse(m.data).live ? "live" : "read-only (from the journals)";
  });
  source.addEventListener("live", (m) => onLive(JSON.parse(m.data)));
  source.addEventListener("status", () => refresh());
  source.onerror = () => (status.textContent = "reconnecting...");
}

// ---- history ----
let chart = null;
let bytesChart = null;
async function loadHistory() {
  const body = await api("/api/history");
  const passes = body.passes;
  const empty = document.getElementById("history-empty");
  empty.textContent = passes.length === 0 ? "no eventful pass recorded yet" : "";
  const xs = passes.map((p) => Date.parse(p.endedAt) / 1000);
  const data = [
    xs,
    passes.map((p) => p.durationMs / 1000),
    passes.map((p) => p.copied),
    passes.map((p) => p.deleted),
    passes.map((p) => p.failed),
  ];
  const width = Math.max(280, document.getElementById("page-history").clientWidth - 10);
  const opts = {
    width,
    height: 260,
    series: [
      {},
      { label: "duration (s)", stroke: "#2563eb" },
      { label: "copied", stroke: "#16a34a" },
      { label: "deleted", stroke: "#d97706" },
      { label: "errors", stroke: "#dc2626" },
    ],
  };
  chart?.destroy();
  chart = new uPlot(opts, data, document.getElementById("history-chart"));
  bytesChart?.destroy();
  bytesChart = new uPlot(
    {
      width,
      height: 180,
      series: [{}, {
        label: "bytes copied",
        stroke: "#7c3aed",
        value: (_, v) => (typeof v === "number" ? bytes(v) : ""),
      }],
      axes: [{}, { values: (_, ticks) => ticks.map(bytes), size: 70 }],
    },
    [xs, passes.map((p) => p.bytes)],
    document.getElementById("history-bytes"),
  );
}

// ---- journal ----
function detail(r) {
  if (r.type === "held") return `${r.count} of ${r.tracked} entries held`;
  const bits = [];
  if (r.from) bits.push("from " + r.from);
  if (typeof r.bytes === "number") bits.push(bytes(r.bytes));
  if (r.error) bits.push(r.error);
  if (r.note) bits.push(r.note);
  return bits.join(", ");
}

function journalRow(r) {
  return el(
    "tr",
    { "data-path": r.path ?? "", "data-op": r.op ?? r.type },
    el("td", {}, when(r.ts)),
    el("td", {}, r.op ?? r.type),
    el("td", { class: "path" }, r.path ?? (r.sample || []).join(", ")),
    el("td", { class: "outcome-" + (r.outcome ?? "") }, r.outcome ?? ""),
    el("td", {}, detail(r)),
  );
}

function journalParams() {
  return {
    path: document.getElementById("journal-path").value.trim(),
    op: document.getElementById("journal-op").value,
    failed: document.getElementById("journal-failed").checked ? "1" : "",
    since: document.getElementById("journal-since").value.trim(),
    until: document.getElementById("journal-until").value.trim(),
    limit: "100",
  };
}

async function loadJournal(older = false) {
  const tbody = document.getElementById("journal-rows");
  const params = journalParams();
  if (older && state.oldest) params.until = new Date(Date.parse(state.oldest) - 1).toISOString();
  try {
    const body = await api("/api/journal", params);
    if (!older) tbody.replaceChildren();
    for (const r of body.rows) tbody.append(journalRow(r));
    if (body.rows.length > 0) state.oldest = body.rows[body.rows.length - 1].ts;
    document.getElementById("journal-older").hidden = body.rows.length < 100;
  } catch (err) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "5" }, String(err.message))));
  }
}

async function why(path) {
  const box = document.getElementById("why-result");
  try {
    const body = await api("/api/why", { path });
    const table = el(
      "table",
      { id: "why-rows" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ...["time", "op", "path", "outcome", "what it did"].map((h) => el("th", {}, h)),
        ),
      ),
    );
    const tbody = el("tbody");
    for (const r of body.rows.filter((x) => x.type === "op" || x.type === "held")) {
      tbody.append(journalRow(r));
    }
    table.append(tbody);
    box.replaceChildren(el("h2", {}, "life of " + path), el("div", { class: "scroll" }, table));
  } catch (err) {
    showError(box, err);
  }
}

// ---- versions and restore ----
async function loadVersions() {
  const tbody = document.getElementById("versions-rows");
  try {
    const body = await api("/api/versions", {
      under: document.getElementById("versions-under").value.trim(),
    });
    tbody.replaceChildren(...body.versions.map((v) => {
      const justBefore = new Date(Date.parse(v.at) - 1).toISOString();
      const download = new URL("/api/download", location.origin);
      download.searchParams.set("job", state.job);
      download.searchParams.set("path", v.path);
      download.searchParams.set("at", justBefore);
      return el(
        "tr",
        { "data-path": v.path },
        el("td", { class: "path" }, v.path),
        el("td", {}, when(v.at)),
        el("td", {}, bytes(v.size)),
        el(
          "td",
          {},
          el("button", {
            class: "pick",
            onclick: () => {
              document.getElementById("restore-path").value = v.path;
              document.getElementById("restore-at").value = justBefore;
            },
          }, "Restore..."),
          " ",
          el("a", { href: download.href, download: v.path.split("/").pop() }, "Download"),
        ),
      );
    }));
    if (body.versions.length === 0) {
      tbody.append(
        el("tr", {}, el("td", { colspan: "4" }, "no versions kept (see --keep-versions)")),
      );
    }
  } catch (err) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "4" }, String(err.message))));
  }
}

async function restore() {
  const out = document.getElementById("restore-result");
  out.textContent = "restoring...";
  try {
    const r = await post("/api/restore", {
      path: document.getElementById("restore-path").value.trim(),
      at: document.getElementById("restore-at").value.trim(),
      to: document.getElementById("restore-to").value.trim(),
    });
    out.textContent = (r.code === 0 ? "restored" : `finished with exit code ${r.code}`) + "\n" +
      r.lines.join("\n");
  } catch (err) {
    out.textContent = "refused: " + err.message;
  }
}

// ---- problems ----
async function loadProblems() {
  const body = await api("/api/problems");
  const o = body.overview;
  const reason = document.getElementById("problems-reason");
  reason.textContent = o.reason ?? "nothing held, nothing paused";
  reason.dataset.state = o.state;
  document.getElementById("problems-busy").textContent = o.busy > 0
    ? `${o.busy} file(s) were still being written at the last pass: tried again with a growing delay, not errors`
    : "none";
  const confirm = document.getElementById("confirm-button");
  confirm.hidden = !(state.confirm && o.state === "deletions held");
  document.getElementById("problems-held").replaceChildren(
    ...body.held.map((h) =>
      el(
        "li",
        {},
        `${when(h.ts)}: ${h.count} of ${h.tracked} entries, e.g. ${
          (h.sample || []).slice(0, 5).join(", ")
        }`,
      )
    ),
  );
  document.getElementById("problems-failures").replaceChildren(
    ...body.failures.map((r) =>
      el(
        "tr",
        {},
        el("td", {}, when(r.ts)),
        el("td", {}, r.op),
        el("td", { class: "path" }, r.path),
        el("td", {}, r.error ?? r.outcome),
      )
    ),
  );
}

async function confirmHeld() {
  const out = document.getElementById("confirm-result");
  try {
    out.textContent = (await post("/api/confirm", {})).message;
  } catch (err) {
    out.textContent = "refused: " + err.message;
  }
}

// ---- navigation ----
const loaders = {
  overview: loadOverview,
  live: () =>
    Promise.resolve(
      showProgress(state.jobs.find((o) => o.job.name === state.job)?.progress ?? null),
    ),
  history: loadHistory,
  journal: () => loadJournal(false),
  versions: loadVersions,
  problems: loadProblems,
};

function refresh() {
  loadOverview();
  if (state.page !== "overview" && state.page !== "live") loaders[state.page]().catch(() => {});
}

function show(page) {
  state.page = page;
  for (const b of document.querySelectorAll("#nav button")) {
    b.classList.toggle("active", b.dataset.page === page);
  }
  for (const s of document.querySelectorAll(".page")) {
    s.classList.toggle("active", s.id === "page-" + page);
  }
  location.hash = page;
  loaders[page]().catch(() => {});
}

document.getElementById("nav").addEventListener("click", (e) => {
  const page = e.target.closest("button")?.dataset.page;
  if (page) show(page);
});
document.getElementById("job").addEventListener("change", (e) => {
  state.job = e.target.value;
  document.getElementById("live-ops").replaceChildren();
  show(state.page);
});
document.getElementById("journal-form").addEventListener("submit", (e) => {
  e.preventDefault();
  loadJournal(false);
});
document.getElementById("journal-older").addEventListener("click", () => loadJournal(true));
document.getElementById("why-form").addEventListener("submit", (e) => {
  e.preventDefault();
  why(document.getElementById("why-path").value.trim());
});
document.getElementById("versions-form").addEventListener("submit", (e) => {
  e.preventDefault();
  loadVersions();
});
document.getElementById("restore-form").addEventListener("submit", (e) => {
  e.preventDefault();
  restore();
});
document.getElementById("confirm-button").addEventListener("click", confirmHeld);
if (!token) {
  document.getElementById("restore-form").hidden = true;
  document.getElementById("restore-result").textContent =
    "read-only dashboard: restore with `backup restore`";
}

loadOverview().then(() => {
  const page = location.hash.slice(1);
  show(loaders[page] ? page : "overview");
});
connect();
