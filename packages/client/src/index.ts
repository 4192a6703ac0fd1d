export * from '@lanes/contracts';
export * from './client.ts';
export * from './connection.ts';
export * from './job-spec.ts';
export * from './lane-queues.ts';
export * from './job-status.ts';
export * from './cancellation.ts';
export * from './retention.ts';
