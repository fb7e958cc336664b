/** Injection token of the service's `pg` pool. */
export const PG_POOL = Symbol('PG_POOL');
/** Injection token of the service's TypeORM DataSource (read models, migrations). */
export const DATA_SOURCE = Symbol('DATA_SOURCE');
/** Injection token of the parsed service config object. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
/** Injection token of the ServiceContext. */
export const SERVICE_CONTEXT = Symbol('SERVICE_CONTEXT');

export interface ServiceContext {
  /** Service name, used for client ids, consumer groups and logs. */
  name: string;
  /** The Postgres schema the service owns; undefined for the stateless gateway. */
  schema?: string;
  kafkaBrokers: string[];
}
