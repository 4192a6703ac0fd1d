import { randomBytes } from 'node:crypto';

export interface PageOptions {
  /** Task names offered in the search form. */
  readonly tasks: readonly string[];
  readonly prefix: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e4e7ec; --accent:#3558d6; --bad:#c4320a; --good:#067647; --warn:#b54708; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:center; gap:1.5rem; padding:.8rem 1.5rem; background:#1d2330; color:#fff; }
header h1 { margin:0; font-size:1.2rem; letter-spacing:.02em; }
header nav a { color:#c7d2fe; margin-right:1rem; text-decoration:none; }
header nav a:hover { text-decoration:underline; }
#updated { margin-left:auto; color:#98a2b3; font-size:.85rem; }
main { padding:1.2rem 1.5rem; display:grid; gap:1.2rem; max-width:1200px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:1rem 1.2rem; }
h2 { margin:0 0 .7rem; font-size:1rem; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:right; padding:.35rem .6rem; border-bottom:1px solid var(--line); white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
td.text, th.text { text-align:left; white-space:normal; word-break:break-word; }
th { color:var(--muted); font-weight:600; font-size:.8rem; text-transform:uppercase; letter-spacing:.03em; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(140px, 1fr)); gap:.8rem; background:none; border:none; padding:0; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; }
.card .label { color:var(--muted); font-size:.8rem; }
.card .value { font-size:1.5rem; font-weight:650; margin-top:.2rem; }
.note { color:var(--muted); font-size:.82rem; margin:.5rem 0 0; }
form { display:flex; flex-wrap:wrap; gap:.6rem; align-items:end; margin-bottom:.8rem; }
label { display:flex; flex-direction:column; font-size:.8rem; color:var(--muted); gap:.2rem; }
input, select, button { font:inherit; padding:.35rem .5rem; border:1px solid #d0d5dd; border-radius:6px; background:#fff; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
.state { padding:.05rem .45rem; border-radius:999px; font-size:.8rem; background:#eef2ff; }
.state-failed { background:#fef3f2; color:var(--bad); }
.state-completed { background:#ecfdf3; color:var(--good); }
.state-active { background:#fffaeb; color:var(--warn); }
tr.job { cursor:pointer; }
tr.job:hover { background:#f9fafb; }
pre { background:#0f172a; color:#e2e8f0; padding:.8rem; border-radius:6px; overflow:auto; max-height:24rem; }
.bad { color:var(--bad); }
[hidden] { display:none !important; }
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('lanes-token') || '';

async function api(path) {
  const headers = token ? { authorization: 'Bearer ' + token } : {};
  const res = await fetch(path, { headers, credentials: 'same-origin' });
  if (res.status === 401) { $('auth').hidden = false; throw new Error('a token is required'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const fields = (body.fields || []).map((f) => f.field + ': ' + f.message).join('; ');
    throw new Error((body.error || res.statusText) + (fields ? ' (' + fields + ')' : ''));
  }
  return body;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function fill(tableId, rows, render) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement('tr');
    render(tr, row);
    body.appendChild(tr);
  }
}

const num = (x) => Number(x).toLocaleString('en-US', { maximumFractionDigits: 2 });
const pct = (x) => (x === null || x === undefined ? '-' : (x * 100).toFixed(1) + ' %');
const usd = (x) => '$' + Number(x).toFixed(4);

function stateChip(tr, state) {
  const td = cell(tr, '');
  const span = document.createElement('span');
  span.className = 'state state-' + state;
  span.textContent = state;
  td.appendChild(span);
}

function render(o) {
  fill('lanes', o.lanes, (tr, l) => {
    cell(tr, l.lane);
    for (const k of ['waiting', 'prioritized', 'delayed', 'backlog', 'active', 'failed', 'completed']) cell(tr, num(l[k]), k === 'failed' && l[k] > 0 ? 'bad' : '');
  });
  const t = o.throughput;
  $('c-backlog').textContent = num(o.totals.backlog);
  $('c-active').textContent = num(o.totals.active);
  $('c-rate').textContent = num(t.perMinute) + ' /min';
  $('c-failure').textContent = pct(t.failureRate);
  const e = o.embeddings;
  $('c-hit').textContent = pct(e.hitRate);
  $('c-tokens').textContent = num(e.tokens);
  $('c-cost').textContent = usd(e.costUsd);
  fill('throughput', t.lanes, (tr, r) => {
    cell(tr, r.lane);
    cell(tr, num(r.completed) + (r.lowerBound ? '+' : ''));
    cell(tr, num(r.failed));
    cell(tr, num(r.perMinute));
    cell(tr, pct(r.failureRate));
  });
  $('throughput-note').textContent = 'Last ' + t.windowMinutes + ' minutes, from ' +
    (t.source === 'bullmq-metrics' ? "BullMQ's per-minute metrics." : 'the finish times of retained jobs ("+": retention may hide older ones).');
  $('embed-note').textContent = e.source === 'registry'
    ? 'Embedding counters of this process since it started (' + num(e.batches) + ' embedding requests, ' + num(e.cacheHits) + ' cache hits, ' + num(e.cacheMisses) + ' misses).'
    : 'No embedding metrics in this process: workers record them; see their /metrics or Grafana.';
  $('tasks-section').hidden = o.tasks.length === 0;
  fill('tasks', o.tasks, (tr, r) => { cell(tr, r.task); cell(tr, r.lane); cell(tr, num(r.completed)); cell(tr, num(r.failed)); cell(tr, num(r.retried)); });
}

async function refresh() {
  try {
    const o = await api('/api/overview');
    render(o);
    $('updated').textContent = 'updated ' + new Date(o.generatedAt).toLocaleTimeString();
  } catch (error) {
    $('updated').textContent = 'overview unavailable: ' + error.message;
  }
}

async function showJob(id) {
  try {
    $('detail').textContent = JSON.stringify(await api('/api/jobs/' + encodeURIComponent(id)), null, 2);
  } catch (error) {
    $('detail').textContent = error.message;
  }
  $('detail').hidden = false;
}

$('find').addEventListener('submit', async (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(event.target)) if (String(value).trim() !== '') params.set(key, String(value).trim());
  $('find-status').textContent = 'searching...';
  try {
    const r = await api('/api/jobs?' + params);
    $('find-status').textContent = r.jobs.length + ' job(s) found, ' + r.scanned + ' scanned' + (r.complete ? '' : ' (scan limit reached: narrow the search)') + '.';
    fill('jobs', r.jobs, (tr, j) => {
      tr.className = 'job';
      tr.addEventListener('click', () => showJob(j.id));
      cell(tr, j.id);
      cell(tr, j.task);
      cell(tr, j.queue);
      stateChip(tr, j.state);
      cell(tr, j.attemptsMade);
      cell(tr, j.source, 'text');
      cell(tr, j.failedReason, 'text bad');
      cell(tr, j.createdAt ? new Date(j.createdAt).toLocaleString() : '');
    });
  } catch (error) {
    $('find-status').textContent = error.message;
  }
});

$('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value;
  sessionStorage.setItem('lanes-token', token);
  $('auth').hidden = true;
  refresh();
});

refresh();
setInterval(refresh, 5000);
`;

/** The overview page: everything inline (the dashboard may run with no network), a fresh CSP nonce per response. */
export function renderOverviewPage(options: PageOptions): { html: string; nonce: string } {
  const nonce = randomBytes(16).toString('base64');
  const taskOptions = options.tasks.map((task) => `<option value="${escapeHtml(task)}"></option>`).join('');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lanes overview</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1>Lanes</h1>
  <nav><a href="/admin/queues">Bull Board</a><a href="/api/overview">Overview JSON</a><a href="/metrics">Metrics</a></nav>
  <span id="updated">loading...</span>
</header>
<main>
  <section id="auth" hidden>
    <h2>Token</h2>
    <form id="auth-form"><label>Dashboard token<input id="token" type="password" autocomplete="current-password" required></label><button type="submit">Use token</button></form>
  </section>
  <div class="cards">
    <div class="card"><div class="label">Backlog (waiting + prioritized + delayed)</div><div class="value" id="c-backlog">-</div></div>
    <div class="card"><div class="label">Active</div><div class="value" id="c-active">-</div></div>
    <div class="card"><div class="label">Throughput</div><div class="value" id="c-rate">-</div></div>
    <div class="card"><div class="label">Failure rate</div><div class="value" id="c-failure">-</div></div>
    <div class="card"><div class="label">Embedding cache hit rate</div><div class="value" id="c-hit">-</div></div>
    <div class="card"><div class="label">Embedding tokens</div><div class="value" id="c-tokens">-</div></div>
    <div class="card"><div class="label">Estimated embedding cost</div><div class="value" id="c-cost">-</div></div>
  </div>
  <section>
    <h2>Lanes <small class="note">prefix ${escapeHtml(options.prefix)}</small></h2>
    <table id="lanes"><thead><tr><th>Lane</th><th>Waiting</th><th>Prioritized</th><th>Delayed</th><th>Backlog</th><th>Active</th><th>Failed</th><th>Completed</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Throughput</h2>
    <table id="throughput"><thead><tr><th>Lane</th><th>Completed</th><th>Failed</th><th>Per minute</th><th>Failure rate</th></tr></thead><tbody></tbody></table>
    <p class="note" id="throughput-note"></p>
    <p class="note" id="embed-note"></p>
  </section>
  <section>
    <h2>Find jobs</h2>
    <form id="find">
      <label>Job id<input name="id" size="24"></label>
      <label>Task<input name="task" list="task-names" size="14"></label>
      <label>State<select name="state"><option value="">any</option><option>waiting</option><option>delayed</option><option>active</option><option>completed</option><option>failed</option></select></label>
      <label>Lane<select name="lane"><option value="">any</option><option>critical</option><option>default</option><option>low</option></select></label>
      <label>Document source<input name="source" size="24" placeholder="part of a path or name"></label>
      <label>Limit<input name="limit" type="number" min="1" max="200" value="50"></label>
      <button type="submit">Find</button>
    </form>
    <datalist id="task-names">${taskOptions}</datalist>
    <p class="note" id="find-status"></p>
    <table id="jobs"><thead><tr><th>Id</th><th>Task</th><th>Lane</th><th>State</th><th>Attempts</th><th class="text">Source</th><th class="text">Failed reason</th><th>Created</th></tr></thead><tbody></tbody></table>
    <pre id="detail" hidden></pre>
  </section>
  <section id="tasks-section" hidden>
    <h2>Attempts by task (workers in this process)</h2>
    <table id="tasks"><thead><tr><th>Task</th><th>Lane</th><th>Completed</th><th>Failed</th><th>Retried</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
  return { html, nonce };
}
