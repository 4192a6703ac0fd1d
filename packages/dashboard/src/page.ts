export interface PageOptions {
  /** Task names offered in the job search form. */
  readonly tasks: readonly string[];
  readonly prefix: string;
  /** Hides the corpus view's delete buttons. */
  readonly readOnly: boolean;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The overview page. Script and styles are files of the package (assets/, and uPlot from its
 * npm package), served by the dashboard itself: it may run with no network, and the CSP
 * allows nothing but this origin.
 */
export function renderOverviewPage(options: PageOptions): string {
  const taskOptions = options.tasks.map((task) => `<option value="${escapeHtml(task)}"></option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lanes overview</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/uplot.css">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body data-read-only="${options.readOnly ? 'true' : 'false'}">
<header>
  <h1>Lanes</h1>
  <nav><a href="#overview">Overview</a><a href="#corpus">Corpus</a><a href="#tenants">Tenants</a><a href="#search">Search</a><a href="#jobs-section">Jobs</a><a href="/admin/queues">Bull Board</a><a href="/metrics">Metrics</a></nav>
  <span id="updated">loading...</span>
</header>
<main>
  <section id="auth" hidden>
    <h2>Token</h2>
    <form id="auth-form"><label>Dashboard token<input id="token" type="password" autocomplete="current-password" required></label><button type="submit">Use token</button></form>
  </section>
  <div id="overview" class="cards">
    <div class="card"><div class="label">Backlog (waiting + prioritized + delayed)</div><div class="value" id="c-backlog">-</div></div>
    <div class="card"><div class="label">Active</div><div class="value" id="c-active">-</div></div>
    <div class="card"><div class="label">Throughput</div><div class="value" id="c-rate">-</div></div>
    <div class="card"><div class="label">Failure rate</div><div class="value" id="c-failure">-</div></div>
    <div class="card"><div class="label">Embedding cache hit rate</div><div class="value" id="c-hit">-</div></div>
    <div class="card"><div class="label">Embedding tokens</div><div class="value" id="c-tokens">-</div></div>
    <div class="card"><div class="label">Estimated embedding cost</div><div class="value" id="c-cost">-</div></div>
  </div>
  <section id="charts-section">
    <div class="chart-head"><h2>Lanes over time</h2><label>Range<select id="range"><option value="hour">last hour</option><option value="day">last day</option></select></label></div>
    <div class="charts">
      <div><h3>Backlog per lane</h3><div class="chart" id="chart-backlog"></div></div>
      <div><h3>Completed and failed per lane</h3><div class="chart" id="chart-throughput"></div></div>
    </div>
    <p class="note" id="series-note"></p>
  </section>
  <section id="embeddings-section">
    <h2>Embeddings per day</h2>
    <div class="chart" id="chart-embeddings"></div>
    <p class="note" id="embeddings-note"></p>
  </section>
  <section id="ingests-section">
    <h2>Running ingests</h2>
    <table id="ingests"><thead><tr><th class="text">Document</th><th>Lane</th><th class="text">Progress</th><th class="text">Stage</th><th>Started</th></tr></thead><tbody></tbody></table>
    <p class="note" id="ingests-note"></p>
  </section>
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
  <section id="corpus">
    <h2>Corpus</h2>
    <table id="documents"><thead><tr><th class="text">Source</th><th>Tenant</th><th>State</th><th>Pages</th><th>Chunks</th><th>Updated</th><th class="text">Last ingest</th><th></th></tr></thead><tbody></tbody></table>
    <p class="note" id="corpus-note"></p>
  </section>
  <section id="tenants">
    <h2>Tenants</h2>
    <table id="tenant-rows"><thead><tr><th class="text">Tenant</th><th>Documents</th><th>Chunks</th><th>Held critical</th><th>Held default</th><th>Held low</th><th>Completed</th><th>Failed</th></tr></thead><tbody></tbody></table>
    <p class="note" id="tenants-note"></p>
  </section>
  <section id="search">
    <h2>Search</h2>
    <form id="search-form">
      <label>Query<input name="q" size="48" required placeholder="what are you looking for?"></label>
      <label>Mode<select name="mode"><option value="hybrid">hybrid</option><option value="vector">vector</option><option value="lexical">lexical</option></select></label>
      <label>Metadata filter (JSON)<input name="filter" size="22" placeholder='{"lang":"en"}'></label>
      <label>Tenant<input name="tenant" size="14" placeholder="none"></label>
      <label>Results<input name="k" type="number" min="1" max="100" value="5"></label>
      <button type="submit">Search</button>
    </form>
    <p class="note" id="search-status"></p>
    <div id="hits"></div>
  </section>
  <section id="jobs-section">
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
<script src="/assets/uplot.js"></script>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}
