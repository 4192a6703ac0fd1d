import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type { RuntimeConfig } from '../config/runtime-config.ts';

/**
 * OpenTelemetry spans for enqueue and processing (BullMQ's own instrumentation through
 * bullmq-otel), propagated from producer to worker in the job. Off by default. Spans go to the
 * globally registered tracer provider: set up an SDK and exporter as usual, e.g.
 * `node --import @opentelemetry/auto-instrumentations-node/register`.
 */
export function createTelemetry(config: Pick<RuntimeConfig, 'tracing'>): Telemetry | undefined {
  return config.tracing === 'otel' ? new BullMQOtel({ tracerName: 'lanes' }) : undefined;
}
