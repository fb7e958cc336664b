import { z } from 'zod';
import { parseConfig, portVariable } from '@lib/platform';

/** One service's base URL, or a comma-separated list of its replicas (requests spread round-robin). */
const upstream = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => value.split(',').every((url) => z.string().url().safeParse(url.trim()).success),
      'a URL, or a comma-separated list of URLs',
    );

export const configShape = {
  PORT: portVariable(3000),
  APPLICATIONS_URL: upstream('http://127.0.0.1:3001'),
  GRANTS_URL: upstream('http://127.0.0.1:3002'),
  MILESTONES_URL: upstream('http://127.0.0.1:3003'),
  DISBURSEMENTS_URL: upstream('http://127.0.0.1:3004'),
  SETTLEMENT_URL: upstream('http://127.0.0.1:3005'),
  /** Requests per second per client (IP) with a burst of twice that; 0 disables the limit. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(200),
  /**
   * How many proxies of ours (load balancers) stand in front of the gateway and append to
   * X-Forwarded-For. 0: the socket's peer is the client. The rate limit keys on the client.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Upstream answer deadline; a slower upstream gets a 504 problem. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
};

/** Parsed once at start; an invalid or missing variable stops the process naming it. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, env);

export type GatewayConfig = ReturnType<typeof loadConfig>;
