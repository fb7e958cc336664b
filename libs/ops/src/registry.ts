import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PostgresEventStore, Projection } from '@lib/event-store';

/** What the CLI hands a service's operator hooks. */
export interface OpsContext {
  databaseUrl: string;
  kafkaBrokers: string[];
  env: NodeJS.ProcessEnv;
}

/** A projection the CLI can rebuild: made from the service's event store. */
export interface OpsProjection {
  /** Subscription name, e.g. `applications.application-queue`. */
  name: string;
  create: (store: PostgresEventStore) => Projection;
}

/** Outcome of a service's reconciliation run, as the CLI prints it. */
export interface ReconcileOutcome {
  checked: number;
  discrepancies: { kind: string; detail: string }[];
}

/**
 * What a service offers the operator CLI, exported as `ops` from `services/<dir>/src/ops.ts`
 * (found at run time, so libs import no service): its schema, rebuildable projections and, for
 * near-settlement, reconciliation.
 */
export interface ServiceOps {
  service: string;
  schema: string;
  projections?: OpsProjection[];
  reconcile?: (
    ctx: OpsContext,
    report: (done: number, total: number) => void,
  ) => Promise<ReconcileOutcome>;
}

/** Every service schema with an event store, whether or not it has an ops manifest yet. */
export const SERVICE_SCHEMAS: readonly { service: string; schema: string }[] = [
  { service: 'applications', schema: 'applications' },
  { service: 'grants', schema: 'grants' },
  { service: 'milestones', schema: 'milestones' },
  { service: 'disbursements', schema: 'disbursements' },
  { service: 'near-settlement', schema: 'near_settlement' },
];

/** The repository root (where `services/` is). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * The known services, each merged with its `services/<dir>/src/ops.ts` manifest when there is
 * one. A manifest that fails to load is reported, not fatal: the other services stay usable.
 */
export function loadServices(
  root = REPO_ROOT,
  warn: (message: string) => void = () => undefined,
): ServiceOps[] {
  const byName = new Map<string, ServiceOps>(
    SERVICE_SCHEMAS.map((s) => [s.service, { ...s, projections: [] }]),
  );
  const servicesDir = join(root, 'services');
  const dirs = existsSync(servicesDir) ? readdirSync(servicesDir) : [];
  for (const dir of dirs.sort()) {
    const file = join(servicesDir, dir, 'src', 'ops.ts');
    if (!existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const manifest = (require(file) as { ops?: ServiceOps }).ops;
      if (!manifest) continue;
      byName.set(manifest.service, { ...byName.get(manifest.service), ...manifest });
    } catch (error) {
      warn(`ops: could not load ${file}: ${(error as Error).message}`);
    }
  }
  return [...byName.values()];
}

/** Finds a projection by full name (`applications.application-queue`) or its unique last part. */
export function findProjection(
  services: ServiceOps[],
  wanted: string,
): { service: ServiceOps; projection: OpsProjection } | { error: string } {
  const all = services.flatMap((service) =>
    (service.projections ?? []).map((projection) => ({ service, projection })),
  );
  const exact = all.filter(({ projection }) => projection.name === wanted);
  const matches =
    exact.length > 0
      ? exact
      : all.filter(({ projection }) => projection.name.split('.').pop() === wanted);
  if (matches.length === 1) return matches[0];
  const known = all.map(({ projection }) => projection.name).join(', ') || '(none)';
  return {
    error:
      matches.length === 0
        ? `no projection named ${wanted}; known: ${known}`
        : `${wanted} is ambiguous: ${matches.map((m) => m.projection.name).join(', ')}`,
  };
}
