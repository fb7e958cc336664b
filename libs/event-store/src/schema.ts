import { type MigrationClass, quoteIdent, sqlMigration, withTransaction } from '@lib/platform';
import type { Pool } from 'pg';

/** Channel that appends NOTIFY (payload empty) so subscribers wake; one per store schema. */
export function eventsChannel(schema: string): string {
  quoteIdent(schema);
  return `${schema}_events`;
}

/**
 * DDL of one event store, every statement idempotent. Tables live in `schema`.
 * `append_events` does the whole append in one round trip: idempotency check, one-statement version
 * check-and-bump on `streams` (the row lock serializes writers of one stream), hash chain, insert, notify.
 * This is migration 1; migration 2 ({@link eventStoreMigrations}) makes it run generic plans.
 */
export function eventStoreDdl(schema: string): string[] {
  const s = quoteIdent(schema);
  const channel = eventsChannel(schema);
  // One unique-index probe per id. Written as a LATERAL with LIMIT so the cached generic plan of
  // the function cannot degrade into scanning the whole stream with `event_id = ANY(...)` as a
  // filter (it did, when planned while the table was empty).
  const EXISTING_EVENT = `SELECT x.event_id, x.global_position, x.stream_version FROM ${s}.events x
    WHERE x.stream_id = p_stream_id AND x.event_id = ids.event_id LIMIT 1`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.streams (
      stream_id text PRIMARY KEY,
      version bigint NOT NULL CHECK (version > 0),
      last_hash bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.events (
      global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      stream_id text NOT NULL,
      stream_version bigint NOT NULL CHECK (stream_version > 0),
      event_id uuid NOT NULL,
      type text NOT NULL,
      schema_version int NOT NULL DEFAULT 1 CHECK (schema_version > 0),
      data jsonb NOT NULL,
      correlation_id text NOT NULL,
      causation_id text,
      actor text NOT NULL,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      prev_hash bytea NOT NULL,
      hash bytea NOT NULL,
      CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
      CONSTRAINT events_stream_event_id_key UNIQUE (stream_id, event_id)
    )`,
    `CREATE INDEX IF NOT EXISTS events_transaction_position_idx ON ${s}.events (transaction_id, global_position)`,
    `CREATE TABLE IF NOT EXISTS ${s}.subscription_checkpoints (
      name text PRIMARY KEY,
      transaction_id xid8 NOT NULL DEFAULT '0',
      global_position bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.inbox (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    )`,
    // Events are facts: refuse UPDATE/DELETE so only a deliberate, visible act (disabling the
    // trigger as owner) can change history, and the hash chain then shows it.
    `CREATE OR REPLACE FUNCTION ${s}.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION 'events are append-only (% on %.events)', TG_OP, TG_TABLE_SCHEMA
        USING ERRCODE = 'restrict_violation';
    END $fn$`,
    `CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${s}.events
      FOR EACH ROW EXECUTE FUNCTION ${s}.events_append_only()`,
    `CREATE OR REPLACE FUNCTION ${s}.append_events(
      p_stream_id text,
      p_expected bigint,
      p_event_ids uuid[],
      p_heads text[],
      p_tails text[],
      p_notify boolean
    ) RETURNS TABLE (outcome text, stream_version bigint, global_positions bigint[], duplicate_ids uuid[])
    LANGUAGE plpgsql AS $fn$
    #variable_conflict use_column
    -- p_expected: -1 = any, 0 = stream must not exist, n > 0 = stream must be at version n.
    -- Event i is the canonical JSON p_heads[i] || <its stream version> || p_tails[i]; every column
    -- is taken from that text, and the hash covers exactly that text.
    DECLARE
      n int := cardinality(p_event_ids);
      v_version bigint;
      v_hash bytea;
      v_prev bytea[] := '{}';
      v_hashes bytea[] := '{}';
      v_events text[] := '{}';
      v_existing uuid[];
      v_positions bigint[];
    BEGIN
      IF n IS NULL OR n = 0 THEN
        RAISE EXCEPTION 'append_events: empty batch' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      -- A retry of an earlier append: report it, write nothing, take no lock.
      SELECT array_agg(e.event_id), array_agg(e.global_position ORDER BY e.stream_version)
        INTO v_existing, v_positions
        FROM unnest(p_event_ids) AS ids(event_id), LATERAL (${EXISTING_EVENT}) e;
      IF cardinality(v_existing) > 0 THEN
        SELECT st.version INTO v_version FROM ${s}.streams st WHERE st.stream_id = p_stream_id;
        IF cardinality(v_existing) = n THEN
          RETURN QUERY SELECT 'already_appended'::text, v_version, v_positions, NULL::uuid[];
        ELSE
          RETURN QUERY SELECT 'partial_duplicate'::text, v_version, NULL::bigint[], v_existing;
        END IF;
        RETURN;
      END IF;

      -- Version check and bump in one statement; concurrent writers queue on the row lock and
      -- re-check the condition against the committed row, so exactly one wins per version.
      IF p_expected = -1 THEN
        INSERT INTO ${s}.streams AS st (stream_id, version, last_hash)
          VALUES (p_stream_id, n, '\\x${'00'.repeat(32)}'::bytea)
          ON CONFLICT (stream_id) DO UPDATE SET version = st.version + n, updated_at = now()
          RETURNING st.version, st.last_hash INTO v_version, v_hash;
      ELSIF p_expected = 0 THEN
        INSERT INTO ${s}.streams AS st (stream_id, version, last_hash)
          VALUES (p_stream_id, n, '\\x${'00'.repeat(32)}'::bytea)
          ON CONFLICT (stream_id) DO NOTHING
          RETURNING st.version, st.last_hash INTO v_version, v_hash;
      ELSE
        UPDATE ${s}.streams AS st SET version = st.version + n, updated_at = now()
          WHERE st.stream_id = p_stream_id AND st.version = p_expected
          RETURNING st.version, st.last_hash INTO v_version, v_hash;
      END IF;

      IF v_version IS NULL THEN
        -- Lost the race. The winner may have been a retry of this very batch (fresh snapshot).
        SELECT array_agg(e.event_id), array_agg(e.global_position ORDER BY e.stream_version)
          INTO v_existing, v_positions
          FROM unnest(p_event_ids) AS ids(event_id), LATERAL (${EXISTING_EVENT}) e;
        SELECT st.version INTO v_version FROM ${s}.streams st WHERE st.stream_id = p_stream_id;
        IF cardinality(v_existing) = n THEN
          RETURN QUERY SELECT 'already_appended'::text, v_version, v_positions, NULL::uuid[];
        ELSE
          RETURN QUERY SELECT 'conflict'::text, coalesce(v_version, 0), NULL::bigint[], NULL::uuid[];
        END IF;
        RETURN;
      END IF;

      FOR i IN 1..n LOOP
        v_events[i] := p_heads[i] || (v_version - n + i)::text || p_tails[i];
        v_prev[i] := v_hash;
        v_hash := sha256(v_hash || convert_to(v_events[i], 'UTF8'));
        v_hashes[i] := v_hash;
      END LOOP;

      WITH inserted AS (
        INSERT INTO ${s}.events (stream_id, stream_version, event_id, type, schema_version, data,
          correlation_id, causation_id, actor, occurred_at, prev_hash, hash)
        SELECT p_stream_id, v_version - n + u.ord, (u.c ->> 'eventId')::uuid, u.c ->> 'type',
          (u.c ->> 'schemaVersion')::int, u.c -> 'data', u.c ->> 'correlationId',
          u.c ->> 'causationId', u.c ->> 'actor', (u.c ->> 'occurredAt')::timestamptz,
          v_prev[u.ord], v_hashes[u.ord]
        FROM (SELECT e::jsonb AS c, ord FROM unnest(v_events) WITH ORDINALITY AS x(e, ord)) u
        ORDER BY u.ord
        RETURNING events.global_position, events.stream_version
      )
      SELECT array_agg(inserted.global_position ORDER BY inserted.stream_version) INTO v_positions
        FROM inserted;

      UPDATE ${s}.streams AS st SET last_hash = v_hash WHERE st.stream_id = p_stream_id;
      IF p_notify THEN
        PERFORM pg_notify('${channel}', '');
      END IF;
      RETURN QUERY SELECT 'appended'::text, v_version, v_positions, NULL::uuid[];
    END $fn$`,
  ];
}

const DROP = (schema: string): string[] => {
  const s = quoteIdent(schema);
  return [
    `DROP FUNCTION IF EXISTS ${s}.append_events`,
    `DROP TABLE IF EXISTS ${s}.inbox`,
    `DROP TABLE IF EXISTS ${s}.subscription_checkpoints`,
    `DROP TABLE IF EXISTS ${s}.events`,
    `DROP FUNCTION IF EXISTS ${s}.events_append_only`,
    `DROP TABLE IF EXISTS ${s}.streams`,
  ];
};

function pascal(schema: string): string {
  return schema
    .split('_')
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Migration 2: `append_events` runs generic plans only. With the default plan cache mode
 * PostgreSQL re-planned its idempotency probe on every call (the generic plan is costed for 10 ids,
 * the custom one for the actual count, so the custom plan always looked cheaper), about a quarter of
 * the server CPU of an append. Each of its statements is a lookup by a unique key or an insert, so
 * the generic plan is the plan. (`CREATE OR REPLACE` of migration 1 drops the setting, so an
 * install re-runs this after it.)
 */
function genericPlansDdl(schema: string, up: boolean): string[] {
  const fn = `${quoteIdent(schema)}.append_events(text, bigint, uuid[], text[], text[], boolean)`;
  return [
    up
      ? `ALTER FUNCTION ${fn} SET plan_cache_mode = force_generic_plan`
      : `ALTER FUNCTION ${fn} RESET plan_cache_mode`,
  ];
}

/** The event store's migrations in order: name suffix (13-digit timestamp), up, down. */
function eventStoreSteps(schema: string): { timestamp: string; up: string[]; down: string[] }[] {
  return [
    { timestamp: '1732600000000', up: eventStoreDdl(schema), down: DROP(schema) },
    {
      timestamp: '1796100000000',
      up: genericPlansDdl(schema, true),
      down: genericPlansDdl(schema, false),
    },
  ];
}

/**
 * TypeORM migrations that create the event store in `schema`. Class names are
 * `EventStore<Schema><timestamp>` (unique per schema, 13-digit timestamp suffix as TypeORM needs).
 */
export function eventStoreMigrations(schema: string): MigrationClass[] {
  quoteIdent(schema);
  return eventStoreSteps(schema).map((step) =>
    sqlMigration(`EventStore${pascal(schema)}${step.timestamp}`, step.up, step.down),
  );
}

/**
 * Creates the event store in `schema` if missing, or brings it up to date (the migrations' DDL in
 * order, every statement idempotent), under an advisory lock so concurrent callers do not race.
 * For tests, benchmarks and tools.
 */
export async function installEventStoreSchema(pool: Pool, schema: string): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `event-store-ddl:${schema}`,
    ]);
    for (const step of eventStoreSteps(schema)) {
      for (const statement of step.up) await client.query(statement);
    }
  });
}
