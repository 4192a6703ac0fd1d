// Checks of the deployment files (deploy/, docker-compose.yml, .dockerignore) that run without
// Docker, Kubernetes or a Prometheus server. YAML is read loosely with regular expressions, on
// purpose: no dependency for it. promtool (Debian's `prometheus` package) is used when present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The metric names Lanes exports (the deployment contract). Histograms also expose _bucket/_sum/_count. */
const COUNTERS_AND_GAUGES = [
  'lanes_jobs_total',
  'lanes_lane_depth',
  'lanes_lane_backlog',
  'lanes_active_jobs',
  'lanes_stalled_jobs_total',
  'lanes_job_retries_total',
  'lanes_worker_last_job_timestamp_seconds',
  'lanes_embedding_batches_total',
  'lanes_embedding_tokens_total',
  'lanes_embedding_cost_usd_total',
  'lanes_embedding_cache_hits_total',
  'lanes_embedding_cache_misses_total',
  'lanes_index_build_progress',
];
const HISTOGRAMS = ['lanes_job_duration_seconds', 'lanes_search_duration_seconds'];
const ALLOWED_METRICS = new Set([
  ...COUNTERS_AND_GAUGES,
  ...HISTOGRAMS.flatMap((name) => [`${name}_bucket`, `${name}_sum`, `${name}_count`]),
]);

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** Metric names an expression selects: identifiers that are not functions, keywords, labels or strings. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![A-Za-z0-9_.:$])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice((match.index ?? 0) + word.length);
    if (/^\s*\(/.test(after)) continue; // a function or aggregation
    if (PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.push(word);
  }
  return names;
}

/** Grafana template variables replaced by values PromQL accepts, for syntax checks. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?[A-Za-z_]+\}?/g, '.*');
}

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string }>;
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Each `expr:` of a Prometheus rules file (plain, quoted or block scalar), with its alert/record name. */
function ruleExpressions(yaml: string): Array<{ name: string; expr: string }> {
  const lines = yaml.split('\n');
  const rules: Array<{ name: string; expr: string }> = [];
  let name = '';
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const named = /^\s*-?\s*(?:alert|record):\s*(\S+)/.exec(line);
    if (named) name = named[1] ?? '';
    const found = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!found) continue;
    const indent = (found[1] ?? '').length;
    const value = (found[2] ?? '').trim();
    if (value.startsWith('|') || value.startsWith('>')) {
      const body: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] ?? '';
        if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
        body.push(next.trim());
        i += 1;
      }
      rules.push({ name, expr: body.join('\n').trim() });
    } else {
      rules.push({ name, expr: value.replace(/^(['"])(.*)\1$/, '$2') });
    }
  }
  return rules;
}

function hasPromtool(): boolean {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Seconds of a Go/compose duration such as `45s`, `1m30s`, `2m`. */
function seconds(duration: string): number {
  let total = 0;
  for (const part of duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const value = Number(part[1]);
    const unit = part[2];
    total += unit === 'h' ? value * 3600 : unit === 'm' ? value * 60 : unit === 's' ? value : value / 1000;
  }
  return total;
}

function yamlNumber(text: string, key: string): number {
  const match = new RegExp(`^\\s*${key}:\\s*["']?(\\d+)["']?\\s*$`, 'm').exec(text);
  assert.ok(match, `${key} not found`);
  return Number(match[1]);
}

/** The value of `- name: NAME` / `value: "..."` in a container env list. */
function envValue(text: string, name: string): string {
  const match = new RegExp(`-\\s*name:\\s*${name}\\s*\\n\\s*value:\\s*["']?([^"'\\n]+)["']?`).exec(text);
  assert.ok(match, `env ${name} not found`);
  return match[1] ?? '';
}

// ---------------------------------------------------------------------------------------------

test('metricNames reads the metric names of PromQL expressions', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.95, sum by (le, task) (rate(lanes_job_duration_seconds_bucket{lane=~"$lane"}[$__rate_interval])))',
    ),
    ['lanes_job_duration_seconds_bucket'],
  );
  assert.deepEqual(metricNames('sum(rate(up[5m])) by (job) > 1e3 unless on (job) absent(foo)'), ['up', 'foo']);
  assert.deepEqual(metricNames('time() - max(lanes_worker_last_job_timestamp_seconds) offset 5m'), [
    'lanes_worker_last_job_timestamp_seconds',
  ]);
});

test('Grafana dashboard: valid JSON whose queries name only Lanes metrics', () => {
  const dashboard = JSON.parse(read('deploy/grafana/lanes-dashboard.json')) as {
    title?: string;
    uid?: string;
    panels?: Panel[];
  };
  assert.ok(dashboard.title, 'dashboard has a title');
  assert.ok(dashboard.uid, 'dashboard has a uid');
  const panels = allPanels(dashboard.panels ?? []);
  const queries = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title ?? '?', expr: target.expr ?? '' })),
  );
  assert.ok(queries.length >= 10, `expected at least 10 queries, found ${queries.length}`);

  const ids = panels.map((panel) => panel.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');

  const used = new Set<string>();
  for (const { panel, expr } of queries) {
    assert.ok(expr.trim(), `panel "${panel}" has an empty query`);
    const names = metricNames(expr);
    assert.ok(names.length > 0, `panel "${panel}" names no metric: ${expr}`);
    for (const name of names) {
      assert.ok(ALLOWED_METRICS.has(name), `panel "${panel}" uses unknown metric ${name}: ${expr}`);
      used.add(name.replace(/_(bucket|sum|count)$/, ''));
    }
  }
  // The panels the deployment brief asks for, by the metric each needs.
  for (const needed of [
    'lanes_lane_backlog',
    'lanes_jobs_total',
    'lanes_job_duration_seconds',
    'lanes_active_jobs',
    'lanes_stalled_jobs_total',
    'lanes_embedding_cache_hits_total',
    'lanes_embedding_tokens_total',
    'lanes_embedding_cost_usd_total',
    'lanes_search_duration_seconds',
    'lanes_index_build_progress',
  ]) {
    assert.ok(used.has(needed), `no panel shows ${needed}`);
  }
});

test('Grafana dashboard and KEDA queries are valid PromQL (promtool)', (t) => {
  if (!hasPromtool()) {
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  const dashboard = JSON.parse(read('deploy/grafana/lanes-dashboard.json')) as { panels?: Panel[] };
  const exprs = allPanels(dashboard.panels ?? []).flatMap((panel) =>
    (panel.targets ?? []).map((target) => target.expr ?? ''),
  );
  const keda = [...read('deploy/k8s/worker-scaledobject.yaml').matchAll(/^\s*query:\s*(.+)$/gm)].map((m) =>
    (m[1] ?? '').trim(),
  );
  assert.ok(keda.length > 0, 'the ScaledObject has prometheus queries');
  const dir = mkdtempSync(join(tmpdir(), 'lanes-deploy-'));
  try {
    const rules = [...exprs, ...keda]
      .map(
        (expr, i) =>
          `      - record: lanes_check:query_${i}\n        expr: ${JSON.stringify(withoutGrafanaVariables(expr))}`,
      )
      .join('\n');
    const file = join(dir, 'queries.yml');
    writeFileSync(file, `groups:\n  - name: queries\n    rules:\n${rules}\n`);
    const result = promtool(['check', 'rules', file]);
    assert.equal(result.status, 0, result.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('KEDA ScaledObject scales the worker Deployment on lanes_lane_backlog', () => {
  const scaled = read('deploy/k8s/worker-scaledobject.yaml');
  assert.match(scaled, /kind:\s*ScaledObject/);
  assert.match(scaled, /scaleTargetRef:[\s\S]*?name:\s*lanes-worker/);
  const queries = [...scaled.matchAll(/^\s*query:\s*(.+)$/gm)].map((m) => m[1] ?? '');
  assert.ok(queries.length > 0);
  for (const query of queries) {
    assert.ok(
      metricNames(query).every((name) => name === 'lanes_lane_backlog'),
      query,
    );
    // A queue-level gauge reported by every process: summing it raw would scale with the replica count.
    assert.doesNotMatch(query, /^sum\s*\(\s*lanes_lane_backlog/, `dedup the per-process copies first: ${query}`);
  }
});

test('alerts.yml passes promtool check rules', (t) => {
  if (!hasPromtool()) {
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  const result = promtool(['check', 'rules', join(root, 'deploy/prometheus/alerts.yml')]);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /SUCCESS/);
});

test('alerts.yml: the expected alerts exist and name only Lanes metrics', () => {
  const yaml = read('deploy/prometheus/alerts.yml');
  const rules = ruleExpressions(yaml);
  const names = rules.map((rule) => rule.name);
  for (const alert of [
    'LanesBacklogGrowing',
    'LanesJobFailureRateHigh',
    'LanesStalledJobs',
    'LanesNoWorkerTakingJobs',
    'LanesEmbeddingCostHigh',
    'LanesIndexBuildStuck',
  ]) {
    assert.ok(names.includes(alert), `alert ${alert} missing`);
  }
  for (const { name, expr } of rules) {
    const metrics = metricNames(expr);
    assert.ok(metrics.length > 0, `${name} names no metric`);
    for (const metric of metrics) assert.ok(ALLOWED_METRICS.has(metric), `${name} uses unknown metric ${metric}`);
  }
});

test('alert expressions behave on sample series (promtool test rules)', (t) => {
  if (!hasPromtool()) {
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  const exprs = new Map(ruleExpressions(read('deploy/prometheus/alerts.yml')).map((rule) => [rule.name, rule.expr]));
  const expr = (name: string): string => {
    const found = exprs.get(name);
    assert.ok(found, `alert ${name} not found`);
    return JSON.stringify(found.replace(/\s+/g, ' '));
  };
  // Two processes (w1, w2) export the same queue-level gauges, as every worker does.
  const spec = `rule_files:
  - ${JSON.stringify(join(root, 'deploy/prometheus/alerts.yml'))}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - { series: 'lanes_lane_depth{lane="default",state="waiting",instance="w1"}', values: '5x60' }
      - { series: 'lanes_lane_depth{lane="default",state="waiting",instance="w2"}', values: '5x60' }
      - { series: 'lanes_lane_depth{lane="critical",state="waiting",instance="w1"}', values: '3x60' }
      - { series: 'lanes_lane_depth{lane="low",state="delayed",instance="w1"}', values: '4x60' }
      - { series: 'lanes_jobs_total{task="ingest",lane="critical",outcome="completed",instance="w1"}', values: '0+10x60' }
      - { series: 'lanes_lane_backlog{lane="default",instance="w1"}', values: '0+10x60' }
      - { series: 'lanes_lane_backlog{lane="default",instance="w2"}', values: '0+10x60' }
      - { series: 'lanes_lane_backlog{lane="low",instance="w1"}', values: '500x60' }
      - { series: 'lanes_index_build_progress{index="chunks_stuck",instance="w1"}', values: '0.4x60' }
      - { series: 'lanes_index_build_progress{index="chunks_moving",instance="w1"}', values: '0+0.01x60' }
      - { series: 'lanes_index_build_progress{index="chunks_done",instance="w1"}', values: '1x60' }
    promql_expr_test:
      # Only the lane with waiting jobs and no finished ones; delayed-only lanes are not stuck.
      - expr: ${expr('LanesNoWorkerTakingJobs')}
        eval_time: 20m
        exp_samples:
          - { labels: '{lane="default"}', value: 5 }
      - expr: ${expr('LanesBacklogGrowing')}
        eval_time: 30m
        exp_samples:
          - { labels: '{lane="default"}', value: 300 }
      - expr: ${expr('LanesIndexBuildStuck')}
        eval_time: 40m
        exp_samples:
          - { labels: '{index="chunks_stuck"}', value: 0.4 }
    alert_rule_test:
      # Not yet: the condition must hold for 10 minutes first.
      - { alertname: LanesNoWorkerTakingJobs, eval_time: 5m, exp_alerts: [] }
      - { alertname: LanesStalledJobs, eval_time: 30m, exp_alerts: [] }
`;
  const dir = mkdtempSync(join(tmpdir(), 'lanes-alerts-'));
  try {
    const file = join(dir, 'alerts.test.yml');
    writeFileSync(file, spec);
    const result = promtool(['test', 'rules', file]);
    assert.equal(result.status, 0, result.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('k8s worker: grace period outlasts preStop + drain deadline; probes on :9464', () => {
  const worker = read('deploy/k8s/worker-deployment.yaml');
  const grace = yamlNumber(worker, 'terminationGracePeriodSeconds');
  const drainSeconds = Number(envValue(worker, 'LANES_DRAIN_TIMEOUT_MS')) / 1000;
  assert.ok(Number.isFinite(drainSeconds) && drainSeconds > 0, 'LANES_DRAIN_TIMEOUT_MS is a positive number');
  const preStop = /preStop:[\s\S]*?command:\s*\[\s*"sleep",\s*"(\d+)"\s*\]/.exec(worker);
  assert.ok(preStop, 'the worker has a preStop sleep');
  const preStopSeconds = Number(preStop[1]);
  assert.ok(preStopSeconds >= 1 && preStopSeconds <= 15, 'the preStop sleep is a few seconds');
  // The preStop hook runs inside the grace period, before SIGTERM.
  assert.ok(
    grace > drainSeconds + preStopSeconds,
    `terminationGracePeriodSeconds ${grace} must exceed preStop ${preStopSeconds}s + drain ${drainSeconds}s`,
  );

  assert.match(worker, /containerPort:\s*9464/);
  assert.match(worker, /"--metrics-port",\s*"9464"/);
  assert.match(worker, /livenessProbe:\s*\n\s*httpGet:\s*\n\s*path:\s*\/healthz/);
  assert.match(worker, /readinessProbe:\s*\n\s*httpGet:\s*\n\s*path:\s*\/readyz/);
  assert.match(worker, /resources:\s*\n\s*requests:/);
  assert.match(worker, /runAsNonRoot:\s*true/);
});

test('k8s: kustomization lists existing files, no manifest names a namespace, the example Secret is not applied', () => {
  const kustomization = read('deploy/k8s/kustomization.yaml');
  const section = /^resources:\s*\n((?:\s+-\s+.+\n)+)/m.exec(kustomization);
  assert.ok(section, 'kustomization has resources');
  const resources = [...(section[1] ?? '').matchAll(/-\s+(\S+)/g)].map((m) => m[1] ?? '');
  for (const kind of [
    'worker-deployment.yaml',
    'worker-scaledobject.yaml',
    'dashboard-deployment.yaml',
    'dashboard-service.yaml',
    'configmap.yaml',
    'pdb.yaml',
  ]) {
    assert.ok(resources.includes(kind), `${kind} not in kustomization`);
  }
  assert.ok(!resources.includes('secret.example.yaml'));
  for (const file of [...resources, 'secret.example.yaml']) {
    assert.ok(existsSync(join(root, 'deploy/k8s', file)), `${file} missing`);
    assert.doesNotMatch(read(join('deploy/k8s', file)), /^\s*namespace:/m, `${file} names a namespace`);
  }
  assert.doesNotMatch(kustomization, /^namespace:/m);
  assert.match(read('deploy/k8s/pdb.yaml'), /kind:\s*PodDisruptionBudget/);
  const secret = read('deploy/k8s/secret.example.yaml');
  for (const key of ['REDIS_URL', 'DATABASE_URL', 'LANES_DASHBOARD_TOKEN'])
    assert.match(secret, new RegExp(`^\\s+${key}:`, 'm'));
});

test('docker-compose: worker stop_grace_period outlasts the drain deadline; queue Redis is AOF + noeviction', () => {
  const compose = read('docker-compose.yml');
  const worker = /^ {2}worker:\n([\s\S]*?)(?=^ {2}\S|^\S)/m.exec(compose)?.[1] ?? '';
  assert.ok(worker, 'compose has a worker service');
  const drain = /LANES_DRAIN_TIMEOUT_MS:\s*["']?(\d+)/.exec(worker);
  assert.ok(drain, 'worker sets LANES_DRAIN_TIMEOUT_MS');
  const grace = /stop_grace_period:\s*(\S+)/.exec(worker);
  assert.ok(grace, 'worker sets stop_grace_period');
  assert.ok(
    seconds(grace[1] ?? '') > Number(drain[1]) / 1000,
    `stop_grace_period ${grace[1]} must exceed ${drain[1]} ms`,
  );
  assert.match(worker, /dockerfile:\s*deploy\/docker\/worker\.Dockerfile/);
  assert.match(worker, /replicas:\s*2/);
  assert.match(compose, /--appendonly",\s*"yes"/);
  assert.match(compose, /--maxmemory-policy",\s*"noeviction"/);
  assert.match(compose, /image:\s*pgvector\/pgvector:pg17/);
  assert.match(compose, /condition:\s*service_healthy/);
});

test('Dockerfiles: node:24 base, non-root USER in the final stage, HEALTHCHECK; worker stops on SIGTERM', () => {
  for (const name of ['worker', 'dashboard']) {
    const dockerfile = read(`deploy/docker/${name}.Dockerfile`);
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-(slim|alpine)\s*$/m);
    assert.match(dockerfile, /npm i(nstall)? -g pnpm@/);
    assert.match(dockerfile, /pnpm install --frozen-lockfile --prod/);
    const stages = dockerfile.split(/^FROM\s/m);
    const last = stages[stages.length - 1] ?? '';
    const users = [...last.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1] ?? '');
    assert.ok(users.length > 0, `${name}: the final stage sets USER`);
    const user = (users[users.length - 1] ?? '').split(':')[0];
    assert.ok(user !== 'root' && user !== '0', `${name}: USER ${user} is root`);
    assert.match(last, /^HEALTHCHECK\s/m, `${name}: HEALTHCHECK`);
    assert.match(last, /^ENTRYPOINT \["node", "packages\/cli\/src\/main\.ts"\]/m);
  }
  const worker = read('deploy/docker/worker.Dockerfile');
  assert.match(worker, /^STOPSIGNAL SIGTERM\s*$/m);
  assert.match(worker, /\/healthz/);
  assert.match(read('deploy/docker/dashboard.Dockerfile'), /127\.0\.0\.1:3000\/healthz/);
});

test('.dockerignore keeps node_modules, .lanes, .git and bench results out of the build context', () => {
  const lines = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim());
  for (const pattern of ['**/node_modules', '.lanes', '.git', 'bench/results']) {
    assert.ok(lines.includes(pattern), `.dockerignore lacks ${pattern}`);
  }
});
