// The overview page's behaviour: plain browser JavaScript, no build step. Served by the
// dashboard from the package (see routes/assets.ts); uPlot is loaded before it.
'use strict';
const $ = (id) => document.getElementById(id);
const READ_ONLY = document.body.dataset.readOnly === 'true';
const LANES = ['critical', 'default', 'low'];
const LANE_COLOURS = { critical: '#c4320a', default: '#3558d6', low: '#067647' };
let token = sessionStorage.getItem('lanes-token') || '';

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}), ...(token ? { authorization: 'Bearer ' + token } : {}) };
  const res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 401) { $('auth').hidden = false; throw new Error('a token is required'); }
  if (res.status === 204) return null;
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
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

function chip(parent, state) {
  const span = document.createElement('span');
  span.className = 'state state-' + state;
  span.textContent = state;
  parent.appendChild(span);
  return span;
}

function stateChip(tr, state) {
  chip(cell(tr, ''), state);
}

// ---- Overview numbers and tables -------------------------------------------------------

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

// ---- Charts (uPlot) --------------------------------------------------------------------

const charts = {};

function chartWidth(el) {
  return Math.max(320, el.clientWidth || el.parentElement.clientWidth || 520);
}

/** Creates the chart on first data, then only swaps its data; marks the element with what it drew (for tests and people alike). */
function draw(id, makeOptions, data) {
  const el = $(id);
  const total = data.slice(1).reduce((sum, series) => sum + series.reduce((s, v) => s + (v || 0), 0), 0);
  el.dataset.points = String(data[0].length);
  el.dataset.total = String(total);
  if (charts[id] && charts[id].series.length === data.length) {
    charts[id].setData(data);
    return;
  }
  if (charts[id]) charts[id].destroy();
  charts[id] = new uPlot(makeOptions(chartWidth(el)), data, el);
}

/** One line per lane; sampled series (backlog) join their samples and show each as a dot. */
function laneLines(label, dashed, sampled) {
  return LANES.map((lane) => ({ label: lane + (label ? ' ' + label : ''), stroke: LANE_COLOURS[lane], width: 2, dash: dashed ? [6, 4] : undefined, spanGaps: sampled, points: { show: sampled, size: 5 } }));
}

async function refreshSeries() {
  try {
    const range = $('range').value;
    const s = await api('/api/overview/series?range=' + encodeURIComponent(range));
    const backlog = [s.t, ...LANES.map((lane) => s.lanes[lane].backlog)];
    draw('chart-backlog', (width) => ({ width, height: 220, series: [{}, ...laneLines('', false, true)], axes: [{}, { label: 'jobs' }], scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } } }), backlog);
    const throughput = [s.t, ...LANES.map((lane) => s.lanes[lane].completed), ...LANES.map((lane) => s.lanes[lane].failed)];
    draw('chart-throughput', (width) => ({ width, height: 220, series: [{}, ...laneLines('completed', false, false), ...laneLines('failed', true, false)], axes: [{}, { label: 'jobs per ' + (s.stepSeconds / 60) + ' min' }], scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } } }), throughput);
    $('series-note').textContent = (s.throughputRecorded ? "Throughput from BullMQ's per-minute metrics, " : 'No worker records metrics yet, ') +
      'backlog sampled once a minute by the dashboard; both kept in Redis, so they span restarts and processes.';
    if (s.embeddings) {
      const days = s.embeddings.days.map((day) => Date.parse(day + 'T00:00:00Z') / 1000);
      const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
      draw('chart-embeddings', (width) => ({
        width, height: 200,
        series: [{}, { label: 'tokens', stroke: '#3558d6', fill: 'rgba(53,88,214,0.35)', paths: bars, points: { show: false }, scale: 'tokens' }, { label: 'cost (USD)', stroke: '#b54708', width: 2, scale: 'usd' }],
        axes: [{}, { scale: 'tokens', label: 'tokens' }, { scale: 'usd', side: 1, label: 'USD', grid: { show: false }, values: (_u, values) => values.map((v) => '$' + v.toFixed(v < 0.01 ? 4 : 2)) }],
        // Half a day of room either side, so the first and last bars are drawn whole.
        scales: { x: { time: true, range: (_u, min, max) => [min - 43200, max + 43200] }, tokens: { range: (_u, _min, max) => [0, Math.max(1, max)] }, usd: { range: (_u, _min, max) => [0, Math.max(0.0001, max)] } },
      }), [days, s.embeddings.tokens, s.embeddings.costUsd]);
      $('embeddings-note').textContent = 'Tokens sent to the embedding provider and the estimated cost, per UTC day, over the last ' + days.length + ' days, from every worker.';
    } else {
      $('embeddings-note').textContent = 'This dashboard runs without the built-in tasks: no embedding usage to show.';
    }
  } catch (error) {
    $('series-note').textContent = 'charts unavailable: ' + error.message;
  }
}

// ---- Running ingests -------------------------------------------------------------------

/** The ingest task's progress: pages parsed, then chunks embedded (parsing weighs 30 %). */
function ingestProgress(p) {
  if (typeof p !== 'object' || p === null) return { fraction: typeof p === 'number' ? p / 100 : 0, text: '' };
  const parts = [];
  if (typeof p.pagesParsed === 'number') parts.push('pages ' + p.pagesParsed + '/' + (p.pagesTotal ?? '?'));
  if (typeof p.chunksTotal === 'number') parts.push('chunks ' + (p.chunksEmbedded ?? 0) + '/' + p.chunksTotal);
  let fraction = 0;
  if (p.stage === 'done') fraction = 1;
  else if (p.chunksTotal > 0) fraction = 0.3 + 0.7 * Math.min(1, (p.chunksEmbedded || 0) / p.chunksTotal);
  else if (p.pagesTotal > 0) fraction = 0.3 * Math.min(1, (p.pagesParsed || 0) / p.pagesTotal);
  return { fraction, text: [p.stage || 'active', ...parts].join(' ') };
}

async function refreshIngests() {
  try {
    const r = await api('/api/jobs?task=ingest&state=active&limit=20');
    fill('ingests', r.jobs, (tr, j) => {
      const { fraction, text } = ingestProgress(j.progress);
      cell(tr, j.source, 'text');
      cell(tr, j.queue);
      progressBar(cell(tr, '', 'text'), fraction);
      cell(tr, text, 'text');
      cell(tr, when(j.processedAt));
    });
    $('ingests-note').textContent = r.jobs.length === 0 ? 'No ingest is running.' : r.jobs.length + ' running, refreshed every 2 s.';
  } catch (error) {
    $('ingests-note').textContent = 'running ingests unavailable: ' + error.message;
  }
}

// ---- Embedding migration ---------------------------------------------------------------

function progressBar(parent, fraction) {
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.title = Math.round(fraction * 100) + ' %';
  const inner = document.createElement('div');
  inner.style.width = Math.round(fraction * 100) + '%';
  bar.appendChild(inner);
  parent.appendChild(bar);
}

async function refreshMigration() {
  if (!$('migration-section')) return;
  try {
    const r = await api('/api/embedding-migration');
    $('m-live').textContent = r.live.name;
    $('m-kept').textContent = r.shadow ? r.shadow.name : '(none)';
    const m = r.migration;
    const latest = $('m-latest');
    latest.replaceChildren();
    $('m-progress').replaceChildren();
    $('m-eval').textContent = '-';
    if (!m) {
      latest.textContent = 'none (lanes migrate-embeddings --to PROVIDER/MODEL)';
    } else {
      chip(latest, m.state);
      latest.appendChild(document.createTextNode(' #' + m.id + ' ' + m.from + ' -> ' + m.to + (m.reason ? ': ' + m.reason : '')));
      if (m.progress) {
        const fraction = m.progress.texts === 0 ? 1 : m.progress.embedded / m.progress.texts;
        progressBar($('m-progress'), fraction);
        $('m-progress').appendChild(document.createTextNode(' ' + num(m.progress.embedded) + ' / ' + num(m.progress.texts) + ' texts'));
      }
      if (m.eval) $('m-eval').textContent = m.eval.fromMrr + ' (old) / ' + m.eval.toMrr + ' (new) on ' + m.eval.queries + ' queries';
    }
    $('migration-note').textContent = m && m.running ? 'Running: search answers from the live space meanwhile; refreshed every 2 s.' : '';
  } catch (error) {
    $('migration-note').textContent = 'embedding space unavailable: ' + error.message;
  }
}

// ---- Corpus ----------------------------------------------------------------------------

async function refreshDocuments() {
  try {
    const r = await api('/api/documents');
    fill('documents', r.documents, (tr, d) => {
      tr.dataset.id = d.id;
      cell(tr, d.source, 'text');
      cell(tr, d.tenant ?? '-');
      stateChip(tr, d.state);
      cell(tr, num(d.pages));
      cell(tr, num(d.chunks));
      cell(tr, when(d.updatedAt));
      const job = cell(tr, '', 'text');
      if (d.lastJob) {
        chip(job, d.lastJob.state);
        job.appendChild(document.createTextNode(' ' + d.lastJob.id + (d.lastJob.failedReason ? ': ' + d.lastJob.failedReason : '')));
      }
      const actions = cell(tr, '');
      if (!READ_ONLY) {
        const button = document.createElement('button');
        button.className = 'danger';
        button.type = 'button';
        button.textContent = 'Delete';
        button.addEventListener('click', () => removeDocument(d));
        actions.appendChild(button);
      }
    });
    $('corpus-note').textContent = r.documents.length + ' document(s)' + (READ_ONLY ? '; read-only dashboard: deletion is off.' : '.');
  } catch (error) {
    $('corpus-note').textContent = 'corpus unavailable: ' + error.message;
  }
}

async function removeDocument(d) {
  if (!confirm('Delete ' + d.source + ' with its ' + d.chunks + ' chunks? Search stops finding it at once.')) return;
  let outcome;
  try {
    await api('/api/documents/' + encodeURIComponent(d.id), { method: 'DELETE' });
    outcome = 'Deleted ' + d.source + '.';
  } catch (error) {
    outcome = 'could not delete ' + d.source + ': ' + error.message;
  }
  await refreshDocuments();
  $('corpus-note').textContent = outcome;
}

// ---- Tenants ---------------------------------------------------------------------------

async function refreshTenants() {
  try {
    const r = await api('/api/tenants');
    fill('tenant-rows', r.tenants, (tr, t) => {
      tr.dataset.tenant = t.tenant ?? '';
      cell(tr, t.tenant ?? '(no tenant)', 'text');
      cell(tr, num(t.documents));
      cell(tr, num(t.chunks));
      for (const lane of LANES) cell(tr, num(t.held[lane]));
      cell(tr, num(t.jobs.completed));
      cell(tr, num(t.jobs.failed));
    });
    const named = r.tenants.filter((t) => t.tenant !== null).length;
    $('tenants-note').textContent = named + ' tenant(s)' + (r.corpus ? '' : '; no document store here: documents not counted') +
      '. Held: jobs waiting for their tenant\'s turn (fair share); completed and failed: attempts by workers of every process.';
  } catch (error) {
    $('tenants-note').textContent = 'tenants unavailable: ' + error.message;
  }
}

// ---- Search playground -----------------------------------------------------------------

/** The query's words (two characters or more), for marking in the results. */
function queryTerms(query) {
  return [...new Set((query.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) || []))];
}

/** Appends `text` to `parent` with the query's words in <mark>: DOM nodes only, never HTML. */
function appendMarked(parent, text, terms) {
  if (terms.length === 0) { parent.textContent = text; return; }
  // Whole words only: "der" is marked in "DER encoding", not inside "header".
  const pattern = new RegExp('(?<![\\p{L}\\p{N}_])(' + terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')(?![\\p{L}\\p{N}_])', 'giu');
  for (const [i, part] of text.split(pattern).entries()) {
    if (part === '') continue;
    if (i % 2 === 1) {
      const mark = document.createElement('mark');
      mark.textContent = part;
      parent.appendChild(mark);
    } else parent.appendChild(document.createTextNode(part));
  }
}

function scoreText(hit) {
  const parts = [];
  if (hit.scores && typeof hit.scores.vector === 'number') parts.push('vector ' + hit.scores.vector.toFixed(3));
  if (hit.scores && typeof hit.scores.lexical === 'number') parts.push('lexical ' + hit.scores.lexical.toFixed(3));
  return 'score ' + Number(hit.score).toFixed(4) + (parts.length ? ' (' + parts.join(', ') + ')' : '');
}

$('search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const q = String(form.get('q') || '').trim();
  const params = new URLSearchParams({ q, k: String(form.get('k') || '5'), mode: String(form.get('mode') || 'hybrid') });
  const filter = String(form.get('filter') || '').trim();
  if (filter !== '') params.set('filter', filter);
  const tenant = String(form.get('tenant') || '').trim();
  if (tenant !== '') params.set('tenant', tenant);
  $('search-status').textContent = 'searching...';
  const started = performance.now();
  try {
    const r = await api('/api/search?' + params);
    const terms = queryTerms(q);
    const hits = $('hits');
    hits.replaceChildren();
    for (const [rank, hit] of r.results.entries()) {
      const div = document.createElement('div');
      div.className = 'hit';
      const meta = document.createElement('div');
      meta.className = 'meta';
      const source = document.createElement('b');
      source.textContent = (rank + 1) + '. ' + hit.source;
      meta.appendChild(source);
      for (const text of ['chunk #' + hit.chunkIndex, hit.page === null || hit.page === undefined ? null : 'page ' + hit.page, hit.heading ? '§ ' + hit.heading : null, scoreText(hit)]) {
        if (text === null) continue;
        const span = document.createElement('span');
        span.textContent = text;
        meta.appendChild(span);
      }
      const p = document.createElement('p');
      appendMarked(p, hit.text, terms);
      div.append(meta, p);
      hits.appendChild(div);
    }
    $('search-status').textContent = r.results.length + ' result(s) in ' + Math.round(performance.now() - started) + ' ms, mode ' + params.get('mode') + '.';
  } catch (error) {
    $('search-status').textContent = error.message;
  }
});

// ---- Job finder ------------------------------------------------------------------------

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
      cell(tr, when(j.createdAt));
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
  refreshAll();
});

$('range').addEventListener('change', () => refreshSeries());

function refreshAll() {
  refresh();
  refreshSeries();
  refreshIngests();
  refreshDocuments();
  refreshMigration();
  refreshTenants();
}

refreshAll();
setInterval(refresh, 5000);
setInterval(refreshSeries, 15000);
setInterval(refreshIngests, 2000);
setInterval(refreshDocuments, 10000);
setInterval(refreshMigration, 2000);
setInterval(refreshTenants, 5000);
