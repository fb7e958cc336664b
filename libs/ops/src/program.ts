import { Command, CommanderError, Option } from 'commander';
import { TOPICS } from '@lib/contracts';
import { readSubscriptionLag, verifyHashChains } from '@lib/event-store';
import { createKafka, replayDeadLetters } from '@lib/messaging';
import { Pool } from 'pg';
import { type OpsIo, startProgress } from './progress';
import { rebuildProjection } from './rebuild';
import { findProjection, loadServices, type OpsContext, type ServiceOps } from './registry';

/** Exit codes: 0 done and clean, 1 found a problem (broken chain, discrepancy), 2 could not run. */
export const EXIT = { ok: 0, problem: 1, unavailable: 2 } as const;

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/incubator';

interface Common {
  json?: boolean;
  databaseUrl?: string;
}

function context(io: OpsIo, options: Common): OpsContext {
  return {
    databaseUrl: options.databaseUrl ?? io.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    kafkaBrokers: (io.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    env: io.env,
  };
}

async function withPool<T>(ctx: OpsContext, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 4, application_name: 'ops' });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function schemaHasEventStore(pool: Pool, schema: string): Promise<boolean> {
  const { rows } = await pool.query(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'events'`,
    [schema],
  );
  return rows.length === 1;
}

function selectServices(services: ServiceOps[], only?: string): ServiceOps[] {
  if (!only) return services;
  const chosen = services.filter((s) => s.service === only || s.schema === only);
  if (chosen.length === 0) throw new UsageError(`no service or schema named ${only}`);
  return chosen;
}

class UsageError extends Error {}

const jsonOption = () => new Option('--json', 'print one JSON document on stdout (for scripts)');
const dbOption = () =>
  new Option('--database-url <url>', 'PostgreSQL (default: $DATABASE_URL or the local database)');

/**
 * The operator CLI (`npm run ops -- <command>`). Every command has `--help` and `--json`;
 * long work shows a progress bar on a terminal and plain progress lines otherwise (stderr).
 * `run` resolves to the exit code instead of exiting, so tests drive it in-process.
 */
export function buildProgram(
  io: OpsIo,
  services = loadServices(undefined, (m) => io.err.write(`${m}\n`)),
) {
  let exitCode: number = EXIT.ok;
  const print = (json: boolean | undefined, value: unknown, text: string): void => {
    io.out.write(
      json ? `${JSON.stringify(value, null, 2)}\n` : text.endsWith('\n') ? text : `${text}\n`,
    );
  };

  const program = new Command('ops')
    .description('Operator commands of the incubator backend')
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
    })
    .exitOverride()
    .showHelpAfterError();

  program
    .command('rebuild')
    .description('Rebuild a projection from zero (empties its read model, replays every event)')
    .argument(
      '<projection>',
      'projection name, e.g. applications.application-queue or application-queue',
    )
    .option('--batch-size <n>', 'events per batch', (v) => Number.parseInt(v, 10), 2000)
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (name: string, options: Common & { batchSize: number }) => {
      const found = findProjection(services, name);
      if ('error' in found) throw new UsageError(found.error);
      const ctx = context(io, options);
      const result = await withPool(ctx, async (pool) => {
        let progress: ReturnType<typeof startProgress> | undefined;
        try {
          return await rebuildProjection({
            pool,
            schema: found.service.schema,
            create: found.projection.create,
            batchSize: options.batchSize,
            onProgress: (done, total) => {
              progress ??= startProgress(io, `rebuild ${found.projection.name}`, total);
              progress.update(done, total);
            },
          });
        } finally {
          progress?.stop();
        }
      });
      print(
        options.json,
        result,
        `rebuilt ${result.projection}: ${result.events} events in ${result.milliseconds} ms ` +
          `(${result.batches} batches here)`,
      );
    });

  program
    .command('verify')
    .description("Verify every service schema's event hash chains; exit 1 naming each broken link")
    .option('--schema <schema>', 'only this service or schema')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: Common & { schema?: string }) => {
      const chosen = selectServices(services, options.schema);
      const ctx = context(io, options);
      const reports = await withPool(ctx, async (pool) => {
        const progress = startProgress(io, 'verify', chosen.length);
        const out = [];
        for (const [i, service] of chosen.entries()) {
          if (!(await schemaHasEventStore(pool, service.schema))) {
            out.push({ service: service.service, schema: service.schema, present: false as const });
          } else {
            const report = await verifyHashChains(pool, service.schema);
            const broken = [];
            for (const link of report.broken) {
              const { rows } = await pool.query<{ event_id: string }>(
                `SELECT event_id FROM "${service.schema}".events WHERE stream_id = $1 AND stream_version = $2`,
                [link.streamId, link.streamVersion],
              );
              broken.push({ ...link, eventId: rows[0]?.event_id ?? null });
            }
            out.push({
              service: service.service,
              schema: service.schema,
              present: true as const,
              ...report,
              broken,
            });
          }
          progress.update(i + 1);
        }
        progress.stop();
        return out;
      });
      const brokenCount = reports.reduce((n, r) => n + (r.present ? r.broken.length : 0), 0);
      const lines = reports.flatMap((r) =>
        !r.present
          ? [`${r.schema}: no event store`]
          : [
              `${r.schema}: ${r.streamsChecked} streams, ${r.eventsChecked} events checked` +
                (r.broken.length === 0 ? ', all hash chains intact' : ''),
              ...r.broken.map(
                (b) =>
                  `BROKEN ${r.schema}: ${b.streamId} @ version ${b.streamVersion}` +
                  `${b.eventId ? ` (event ${b.eventId})` : ''}: ${b.reason}`,
              ),
            ],
      );
      print(options.json, { ok: brokenCount === 0, schemas: reports }, lines.join('\n'));
      if (brokenCount > 0) exitCode = EXIT.problem;
    });

  const dlq = program.command('dlq').description('Dead-letter topics');
  dlq
    .command('replay')
    .description('Replay <topic>.dlq into <topic> (every integration topic unless --topic)')
    .option('--topic <topic>', 'original topic, e.g. grants.grant.v1')
    .option('--limit <n>', 'at most this many per topic', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new UsageError(`--limit must be a non-negative integer, got ${v}`);
      return n;
    })
    .option('--group <group>', 'replay consumer group (default <topic>.dlq.replay)')
    .option('--idle-timeout-ms <ms>', 'stop waiting for more dead letters after this long', (v) =>
      Number(v),
    )
    .addOption(jsonOption())
    .action(
      async (
        options: Common & {
          topic?: string;
          limit?: number;
          group?: string;
          idleTimeoutMs?: number;
        },
      ) => {
        const topics = options.topic ? [options.topic] : Object.values(TOPICS);
        const ctx = context(io, options);
        const kafka = createKafka({ clientId: 'ops-dlq-replay', brokers: ctx.kafkaBrokers });
        const progress = startProgress(io, 'dlq replay (topics)', topics.length);
        const results: { topic: string; replayed: number }[] = [];
        for (const [i, topic] of topics.entries()) {
          const { replayed } = await replayDeadLetters({
            kafka,
            topic,
            limit: options.limit,
            groupId: options.group,
            idleTimeoutMs: options.idleTimeoutMs,
          });
          results.push({ topic, replayed });
          progress.update(i + 1);
        }
        progress.stop();
        print(
          options.json,
          { replayed: results },
          results
            .map((r) => `replayed ${r.replayed} dead letter(s) from ${r.topic}.dlq to ${r.topic}`)
            .join('\n'),
        );
      },
    );

  program
    .command('reconcile')
    .description("Run near-settlement's reconciliation (payout ledger against the chain) once")
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: Common) => {
      const settlement = services.find((s) => s.service === 'near-settlement');
      if (!settlement?.reconcile) {
        const message =
          'reconcile is not available: services/near-settlement/src/ops.ts does not export ' +
          'ops.reconcile';
        print(options.json, { available: false, message }, message);
        exitCode = EXIT.unavailable;
        return;
      }
      const ctx = context(io, options);
      let progress: ReturnType<typeof startProgress> | undefined;
      const outcome = await settlement.reconcile(ctx, (done, total) => {
        progress ??= startProgress(io, 'reconcile', total);
        progress.update(done, total);
      });
      progress?.stop();
      print(
        options.json,
        { available: true, ...outcome },
        [
          `reconcile: ${outcome.checked} checked, ${outcome.discrepancies.length} discrepancies`,
          ...outcome.discrepancies.map((d) => `DISCREPANCY ${d.kind}: ${d.detail}`),
        ].join('\n'),
      );
      if (outcome.discrepancies.length > 0) exitCode = EXIT.problem;
    });

  program
    .command('lag')
    .description('Subscription lag (events and seconds behind) per service schema')
    .option('--schema <schema>', 'only this service or schema')
    .addOption(jsonOption())
    .addOption(dbOption())
    .action(async (options: Common & { schema?: string }) => {
      const chosen = selectServices(services, options.schema);
      const ctx = context(io, options);
      const rows = await withPool(ctx, async (pool) => {
        const out = [];
        for (const service of chosen) {
          if (!(await schemaHasEventStore(pool, service.schema))) continue;
          for (const lag of await readSubscriptionLag(pool, service.schema)) {
            out.push({ service: service.service, schema: service.schema, ...lag });
          }
        }
        return out;
      });
      const text =
        rows.length === 0
          ? 'no subscriptions'
          : rows
              .map(
                (r) =>
                  `${r.schema.padEnd(16)} ${r.subscription.padEnd(40)} ${String(r.events).padStart(8)} events ` +
                  `${r.seconds.toFixed(1).padStart(8)} s behind  checkpoint ${r.checkpoint}`,
              )
              .join('\n');
      print(options.json, { subscriptions: rows }, text);
    });

  return {
    program,
    /** Parses `argv` (user arguments only) and runs the command; resolves to the exit code. */
    async run(argv: string[]): Promise<number> {
      exitCode = EXIT.ok;
      try {
        await program.parseAsync(argv, { from: 'user' });
        return exitCode;
      } catch (error) {
        if (error instanceof CommanderError) {
          return error.exitCode === 0 ? EXIT.ok : EXIT.unavailable;
        }
        io.err.write(
          `ops: ${error instanceof UsageError ? '' : 'failed: '}${(error as Error).message}\n`,
        );
        return EXIT.unavailable;
      }
    },
  };
}
