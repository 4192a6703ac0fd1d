import { ConfigError } from '@lanes/contracts';
import { envEnum, envOptional, type Env } from '@lanes/worker-core';

export interface DashboardEnv {
  /** LANES_DASHBOARD_TOKEN: turns on auth. */
  readonly token: string | undefined;
  /** LANES_DASHBOARD_READ_ONLY=true: every write refused (403), Bull Board without mutating actions. */
  readonly readOnly: boolean;
}

/** The dashboard's own settings; a malformed one stops start-up with one line naming it. */
export function loadDashboardEnv(env: Env = process.env): DashboardEnv {
  const token = envOptional(env, 'LANES_DASHBOARD_TOKEN');
  if (token !== undefined && /\s/.test(token))
    throw new ConfigError('LANES_DASHBOARD_TOKEN', 'must not contain whitespace');
  const readOnly = envEnum(env, 'LANES_DASHBOARD_READ_ONLY', ['true', 'false', '1', '0'], 'false');
  return { token, readOnly: readOnly === 'true' || readOnly === '1' };
}
