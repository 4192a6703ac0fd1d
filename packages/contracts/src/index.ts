export * from './lanes.ts';
export * from './errors.ts';
export * from './task-contract.ts';
export * from './job-status.ts';
export * from './registry.ts';
export * from './builtin/index.ts';
export { z } from 'zod';
