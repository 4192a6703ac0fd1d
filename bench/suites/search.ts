import pg from 'pg';
import type { BenchOptions, BenchRow, SuiteResult } from '../lib/types.ts';
import { percentile, ratio, round } from '../lib/stats.ts';
import { createSchema, dropSchema, load, TABLE } from './search/dataset.ts';
import { buildWithWriter, INDEX, type BuildOutcome } from './search/index-build.ts';
import { recallAtK, runQueries, usesIndex, type QueryRun } from './search/queries.ts';
import { measureHybrid, type HybridRun } from './search/hybrid.ts';
import { appSearchSettings, type SearchSettings } from './search/settings.ts';
import { clusteredSpace, vectorLiteral } from './search/vectors.ts';

const DIMENSIONS = 384;
const K = 10;
const TARGET_P95_MS = 10;
const TARGET_HYBRID_P95_MS = 20;
const TARGET_RECALL = 0.95;
/** pgvector's own default, shown next to the app's setting. */
const PGVECTOR_DEFAULT_EF_SEARCH = 40;

interface Scale {
  readonly rows: number;
  readonly queries: number;
  readonly clusters: number;
  /** Targets apply at 100k (the issue's figure); other sizes are reported without a verdict. */
  readonly withTargets: boolean;
}

interface ScaleResult {
  readonly scale: Scale;
  readonly loadRowsPerSecond: number;
  readonly exact: QueryRun;
  readonly hnsw: QueryRun;
  readonly hnswDefaultEf: QueryRun;
  readonly recall: number;
  readonly recallDefaultEf: number;
  readonly plain: BuildOutcome;
  readonly concurrent: BuildOutcome;
  readonly indexUsed: boolean;
  readonly indexBytes: number;
  readonly halfvec: HalfvecRun;
}

/** The same data and queries with the HNSW index at half precision (LANES_VECTOR_STORAGE=halfvec). */
interface HalfvecRun {
  readonly run: QueryRun;
  readonly recall: number;
  readonly buildMs: number;
  readonly indexBytes: number;
  readonly indexUsed: boolean;
}

const HALFVEC_INDEX = 'chunks_embedding_hnsw_halfvec';

async function measureHalfvec(
  client: pg.Client,
  queries: readonly string[],
  exact: QueryRun,
  settings: SearchSettings,
): Promise<HalfvecRun> {
  await client.query(`SET maintenance_work_mem = '${settings.maintenanceWorkMem}'`);
  const startedAt = performance.now();
  await client.query(
    `CREATE INDEX ${HALFVEC_INDEX} ON ${TABLE} USING hnsw ((embedding::halfvec(${DIMENSIONS})) halfvec_cosine_ops) ` +
      `WITH (m = ${Math.trunc(settings.m)}, ef_construction = ${Math.trunc(settings.efConstruction)})`,
  );
  const buildMs = performance.now() - startedAt;
  await client.query('RESET maintenance_work_mem');
  const size = await client.query<{ bytes: string }>(`SELECT pg_relation_size('${HALFVEC_INDEX}') AS bytes`);
  const indexUsed = await usesIndex(client, queries[0]!, true);
  await runQueries(client, queries.slice(0, 20), K, { exact: false, efSearch: settings.efSearch, halfvec: true });
  const run = await runQueries(client, queries, K, { exact: false, efSearch: settings.efSearch, halfvec: true });
  return {
    run,
    recall: recallAtK(run.ids, exact.ids, K),
    buildMs,
    indexBytes: Number(size.rows[0]?.bytes ?? 0),
    indexUsed,
  };
}

function scales(options: BenchOptions): Scale[] {
  if (options.quick) return [{ rows: 5_000, queries: 30, clusters: 50, withTargets: false }];
  const list: Scale[] = [{ rows: 100_000, queries: 200, clusters: 200, withTargets: true }];
  if (options.large) list.push({ rows: 1_000_000, queries: 100, clusters: 1000, withTargets: false });
  return list;
}

function label(rows: number): string {
  return rows >= 1_000_000 ? `${rows / 1_000_000}M` : `${rows / 1000}k`;
}

async function runScale(options: BenchOptions, scale: Scale, settings: SearchSettings): Promise<ScaleResult> {
  const schema = `bench_${options.runId.toLowerCase()}_${label(scale.rows).toLowerCase()}`;
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: options.databaseUrl,
      options: `-c search_path=${schema},public`,
      application_name: 'lanes-bench',
    });
    await client.connect();
    return client;
  };
  const admin = await connect();
  const tag = `search ${label(scale.rows)}`;
  try {
    const space = clusteredSpace({ dimensions: DIMENSIONS, clusters: scale.clusters, spread: 0.05, seed: 42 });
    await createSchema(admin, schema, DIMENSIONS);
    options.log(`${tag}: loading ${scale.rows} vectors of ${DIMENSIONS} dims`);
    const loadRowsPerSecond = await load(admin, space, 1, scale.rows, 1000, (done) =>
      options.log(`${tag}: ${done} rows`),
    );
    await admin.query('ANALYZE chunks');
    const queries = Array.from({ length: scale.queries }, () => vectorLiteral(space.next()));
    const nextId = { value: scale.rows + 1 };

    options.log(`${tag}: ${scale.queries} exact queries (index scans off)`);
    await runQueries(admin, queries.slice(0, 5), K, { exact: true, efSearch: settings.efSearch });
    const exact = await runQueries(admin, queries, K, { exact: true, efSearch: settings.efSearch });

    options.log(
      `${tag}: plain CREATE INDEX (m=${settings.m}, ef_construction=${settings.efConstruction}) with a writer`,
    );
    const plain = await buildWithWriter(connect, space, nextId, settings, false);
    options.log(
      `${tag}: built in ${(plain.buildMs / 1000).toFixed(1)} s, writer got ${plain.rowsWrittenDuringBuild} rows in, longest stall ${Math.round(plain.maxWriteStallMs)} ms`,
    );
    const indexUsed = await usesIndex(admin, queries[0]!);
    const size = await admin.query<{ bytes: string }>(`SELECT pg_relation_size('${INDEX}') AS bytes`);
    await runQueries(admin, queries.slice(0, 20), K, { exact: false, efSearch: settings.efSearch });
    const hnsw = await runQueries(admin, queries, K, { exact: false, efSearch: settings.efSearch });
    const hnswDefaultEf = await runQueries(admin, queries, K, { exact: false, efSearch: PGVECTOR_DEFAULT_EF_SEARCH });
    // Recall against the exact answer over the rows that existed then (the writer's rows came later;
    // they are drawn from the same space and can only displace true neighbours marginally).
    const recall = recallAtK(hnsw.ids, exact.ids, K);
    const recallDefaultEf = recallAtK(hnswDefaultEf.ids, exact.ids, K);
    options.log(
      `${tag}: HNSW p95 ${percentile(hnsw.latenciesMs, 95).toFixed(2)} ms, recall@${K} ${recall.toFixed(3)}; exact p95 ${percentile(exact.latenciesMs, 95).toFixed(1)} ms`,
    );

    await admin.query(`DROP INDEX ${INDEX}`);
    options.log(`${tag}: CREATE INDEX CONCURRENTLY with a writer`);
    const concurrent = await buildWithWriter(connect, space, nextId, settings, true);
    options.log(
      `${tag}: built in ${(concurrent.buildMs / 1000).toFixed(1)} s, writer got ${concurrent.rowsWrittenDuringBuild} rows in, longest stall ${Math.round(concurrent.maxWriteStallMs)} ms`,
    );

    await admin.query(`DROP INDEX ${INDEX}`);
    // Without the writers' rows (repeats of a few vectors, which crowd the neighbours of some
    // queries), so the exact answer measured first is the truth for halfvec too.
    await admin.query(`DELETE FROM ${TABLE} WHERE id > ${scale.rows}`);
    await admin.query(`VACUUM ${TABLE}`);
    options.log(`${tag}: halfvec index (half precision), then the same queries`);
    const halfvec = await measureHalfvec(admin, queries, exact, settings);
    options.log(
      `${tag}: halfvec built in ${(halfvec.buildMs / 1000).toFixed(1)} s, p95 ${percentile(halfvec.run.latenciesMs, 95).toFixed(2)} ms, recall@${K} ${halfvec.recall.toFixed(3)}`,
    );
    return {
      scale,
      loadRowsPerSecond,
      exact,
      hnsw,
      hnswDefaultEf,
      recall,
      recallDefaultEf,
      plain,
      concurrent,
      indexUsed,
      indexBytes: Number(size.rows[0]?.bytes ?? 0),
      halfvec,
    };
  } finally {
    await dropSchema(admin, schema).catch((error: unknown) =>
      options.log(`${tag}: could not drop schema ${schema}: ${String(error)}`),
    );
    await admin.end();
  }
}

function rowsFor(result: ScaleResult, settings: SearchSettings): BenchRow[] {
  const n = label(result.scale.rows);
  const p = (run: QueryRun, q: number): number | null => round(percentile(run.latenciesMs, q));
  const hnswP50 = p(result.hnsw, 50);
  const hnswP95 = p(result.hnsw, 95);
  const exactP50 = p(result.exact, 50);
  const exactP95 = p(result.exact, 95);
  const recall = round(result.recall);
  const t = result.scale.withTargets;
  const perSecond = (b: BuildOutcome): number => (b.rowsWrittenDuringBuild * 1000) / b.buildMs;
  const concurrentBuild = round(result.concurrent.buildMs / 1000);
  const plainBuild = round(result.plain.buildMs / 1000);
  return [
    {
      metric: `search p50, ${n} chunks`,
      unit: 'ms',
      lanes: hnswP50,
      baseline: exactP50,
      baselineName: 'exact scan',
      ratio: ratio(hnswP50, exactP50),
      target: '',
      met: null,
      others: [{ name: `ef_search ${PGVECTOR_DEFAULT_EF_SEARCH}`, value: p(result.hnswDefaultEf, 50) }],
    },
    {
      metric: `search p95, ${n} chunks`,
      unit: 'ms',
      lanes: hnswP95,
      baseline: exactP95,
      baselineName: 'exact scan',
      ratio: ratio(hnswP95, exactP95),
      target: t ? `< ${TARGET_P95_MS} ms` : '',
      met: t ? hnswP95 !== null && hnswP95 < TARGET_P95_MS : null,
      others: [{ name: `ef_search ${PGVECTOR_DEFAULT_EF_SEARCH}`, value: p(result.hnswDefaultEf, 95) }],
      note: `HNSW m=${settings.m}, ef_construction=${settings.efConstruction}, ef_search=${settings.efSearch}; ${result.scale.queries} queries, one connection${result.indexUsed ? '' : '; WARNING: planner did not use the index'}`,
    },
    {
      metric: `recall@${K}, ${n} chunks`,
      unit: '',
      lanes: recall,
      baseline: 1,
      baselineName: 'exact scan',
      ratio: recall,
      target: t ? `>= ${TARGET_RECALL}` : '',
      met: t ? recall !== null && recall >= TARGET_RECALL : null,
      others: [{ name: `ef_search ${PGVECTOR_DEFAULT_EF_SEARCH}`, value: round(result.recallDefaultEf) }],
    },
    {
      metric: `HNSW build, ${n} chunks`,
      unit: 's',
      lanes: concurrentBuild,
      baseline: plainBuild,
      baselineName: 'plain CREATE INDEX',
      ratio: ratio(concurrentBuild, plainBuild),
      target: '',
      met: null,
      note: `Lanes rebuilds with CREATE INDEX CONCURRENTLY; maintenance_work_mem ${settings.maintenanceWorkMem}; index ${Math.round(result.indexBytes / 2 ** 20)} MiB`,
    },
    {
      metric: `writes during index build, ${n} chunks`,
      unit: 'rows/s',
      lanes: round(perSecond(result.concurrent)),
      baseline: round(perSecond(result.plain)),
      baselineName: 'plain CREATE INDEX',
      ratio: ratio(round(perSecond(result.concurrent)), round(perSecond(result.plain))),
      target: '',
      met: null,
      note: `longest insert stall ${Math.round(result.concurrent.maxWriteStallMs)} ms vs ${Math.round(result.plain.maxWriteStallMs)} ms (a writer offering 10 rows every 50 ms)`,
    },
    ...halfvecRows(result, n),
  ];
}

function halfvecRows(result: ScaleResult, n: string): BenchRow[] {
  const half = result.halfvec;
  const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
  const latency = (q: number): BenchRow => {
    const lanes = round(percentile(half.run.latenciesMs, q));
    const baseline = round(percentile(result.hnsw.latenciesMs, q));
    return {
      metric: `halfvec search p${q}, ${n} chunks`,
      unit: 'ms',
      lanes,
      baseline,
      baselineName: 'vector (full precision)',
      ratio: ratio(lanes, baseline),
      target: '',
      met: null,
    };
  };
  const recall = round(half.recall);
  const vectorRecall = round(result.recall);
  return [
    latency(50),
    {
      ...latency(95),
      note: `LANES_VECTOR_STORAGE=halfvec: HNSW over embedding::halfvec, index ${mib(half.indexBytes)} MiB vs ${mib(result.indexBytes)} MiB, built in ${round(half.buildMs / 1000)} s (no writer)${half.indexUsed ? '' : '; WARNING: planner did not use the index'}`,
    },
    {
      metric: `halfvec recall@${K}, ${n} chunks`,
      unit: '',
      lanes: recall,
      baseline: vectorRecall,
      baselineName: 'vector (full precision)',
      ratio: ratio(recall, vectorRecall),
      target: '',
      met: null,
    },
  ];
}

function hybridRows(run: HybridRun, withTargets: boolean): BenchRow[] {
  const n = label(run.chunks);
  const p = (values: number[], q: number): number | null => round(percentile(values, q));
  const row = (q: number, target: boolean): BenchRow => {
    const lanes = p(run.hybridMs, q);
    const baseline = p(run.vectorMs, q);
    return {
      metric: `hybrid search p${q}, ${n} chunks`,
      unit: 'ms',
      lanes,
      baseline,
      baselineName: 'vector only',
      ratio: ratio(lanes, baseline),
      target: target ? `< ${TARGET_HYBRID_P95_MS} ms` : '',
      met: target ? lanes !== null && lanes < TARGET_HYBRID_P95_MS : null,
      others: [{ name: 'lexical only', value: p(run.lexicalMs, q) }],
      ...(target && {
        note: `through the search service (BM25 in SQL, its candidates ranked by vector similarity, fused; result cache misses); ${run.queries} queries of 8 words; load ${round(run.loadChunksPerSecond)} chunks/s`,
      }),
    };
  };
  return [row(50, false), row(95, withTargets)];
}

/**
 * Vector search: HNSW (the app's settings) against an exact scan on the same data, recall@10
 * against that exact answer, and the index build plain and CONCURRENTLY with a writer running.
 */
export async function run(options: BenchOptions): Promise<SuiteResult> {
  const startedAt = Date.now();
  const settings = await appSearchSettings();
  const results: ScaleResult[] = [];
  for (const scale of scales(options)) {
    const scaleStarted = Date.now();
    results.push(await runScale(options, scale, settings));
    options.log(`search ${label(scale.rows)}: done in ${Math.round((Date.now() - scaleStarted) / 1000)} s`);
  }
  const hybridChunks = options.quick ? 5_000 : 100_000;
  options.log(`search hybrid: ${hybridChunks} chunks of synthetic text through the search service`);
  const hybrid = await measureHybrid(options, hybridChunks, options.quick ? 30 : 200);
  return {
    suite: 'search',
    title: 'Vector search (pgvector HNSW against exact) and hybrid search',
    rows: [...results.flatMap((result) => rowsFor(result, settings)), ...hybridRows(hybrid, !options.quick)],
    params: {
      dimensions: DIMENSIONS,
      k: K,
      settings,
      hybrid: {
        chunks: hybrid.chunks,
        queries: hybrid.queries,
        loadChunksPerSecond: round(hybrid.loadChunksPerSecond),
      },
      scales: results.map((r) => ({
        ...r.scale,
        loadRowsPerSecond: round(r.loadRowsPerSecond),
        plain: r.plain,
        concurrent: r.concurrent,
        indexBytes: r.indexBytes,
        indexUsed: r.indexUsed,
      })),
    },
    notes: [
      `${DIMENSIONS}-dim unit vectors around ${results.map((r) => `${r.scale.clusters} centres (${label(r.scale.rows)})`).join(', ')}, loaded with multi-row unnest inserts into a schema of the run's own; queries drawn from the same distribution. ` +
        `Latency is the round trip of \`ORDER BY embedding <=> q LIMIT ${K}\` from Node; exact = the same query with index scans off. Settings from ${settings.source}.`,
      `Hybrid: ${label(hybrid.chunks)} chunks of 80 Zipf-distributed words from a fixed 20k-word vocabulary (seeded), staged and finalised through the app's document store with local-embedder vectors, searched through the app's search service (hybrid = BM25 list fused with its candidates' vector similarity ranks, when the weights keep vector-only chunks out of the top k) against vector-only and lexical-only on the same queries, in rotating order.`,
      ...(options.large
        ? []
        : [
            '1M chunks is optional: `pnpm bench --only search --large` (long: expect several minutes per index build on 2 cores).',
          ]),
    ],
    durationMs: Date.now() - startedAt,
  };
}
