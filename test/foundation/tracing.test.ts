import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { uniquePrefix } from '../support/env.ts';
import { startWorker } from '../support/workers.ts';
import { echo } from '../support/sample-tasks.ts';

test('with LANES_TRACING=otel, enqueue and processing emit OpenTelemetry spans', async () => {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  // What an OpenTelemetry SDK registers: W3C trace context carried in the job.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const worker = await startWorker(uniquePrefix('otel'), {}, { LANES_TRACING: 'otel' });
  try {
    const handle = await worker.client.enqueue(echo, { message: 'traced' });
    await handle.wait({ timeoutMs: 5000 });
  } finally {
    await worker.close();
  }
  const spans = exporter.getFinishedSpans();
  const producers = spans.filter((span) => span.kind === SpanKind.PRODUCER);
  const consumers = spans.filter((span) => span.kind === SpanKind.CONSUMER);
  assert.ok(producers.length > 0, `no producer span among ${spans.map((s) => s.name).join(', ')}`);
  assert.ok(consumers.length > 0, `no consumer span among ${spans.map((s) => s.name).join(', ')}`);
  // The worker's span continues the enqueuer's trace.
  assert.ok(consumers.some((c) => producers.some((p) => p.spanContext().traceId === c.spanContext().traceId)));
});

test('tracing is off by default', async () => {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  const worker = await startWorker(uniquePrefix('no-otel'));
  try {
    await (await worker.client.enqueue(echo, { message: 'untraced' })).wait({ timeoutMs: 5000 });
  } finally {
    await worker.close();
  }
  assert.equal(exporter.getFinishedSpans().length, 0);
});
