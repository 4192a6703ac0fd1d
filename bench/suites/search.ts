import type { SuiteResult } from '../lib/types.ts';
export async function run(): Promise<SuiteResult> { throw new Error('not written yet'); }
