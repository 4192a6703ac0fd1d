export {
  JobFailedError,
  LanesClient,
  WaitTimeoutError,
  type CancelOutcome,
  type JobHandle,
  type LanesClientOptions,
} from './client.ts';
