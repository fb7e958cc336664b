// What every aggregate's commands carry, without a framework: deciders import this file, so it
// must not load Nest, kafkajs, pg or TypeORM.

/** Who issues a command: the JWT `sub` and roles (for an integration event: the event's actor). */
export interface Actor {
  sub: string;
  roles: readonly string[];
}

/** Time and identity arrive on every command; a decider reads no clock. */
export interface CommandMetadata {
  now: Date;
  actor: Actor;
}

/**
 * One command of a pure decider: its `type`, its `data`, and who issues it when.
 * `type CancelGrant = Command<'CancelGrant', { reason: string }>`.
 */
export type Command<Type extends string, Data, Metadata = CommandMetadata> = {
  type: Type;
  data: Data;
  metadata: Metadata;
};
