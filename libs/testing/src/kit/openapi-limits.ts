import { randomUUID } from 'node:crypto';

// Walks an OpenAPI 3.0 document and, for every request field with a limit, builds a request one
// step past it: the drift test between the document and the validation that it describes.

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  maxItems?: number;
  maximum?: number;
  minimum?: number;
};
type Parameter = { name: string; in: string; schema?: Schema };
type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown }> };
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

export type Limit =
  'maxLength' | 'pattern' | 'enum' | 'decimals' | 'maxItems' | 'maximum' | 'minimum';

/** One request that breaks one documented limit of one field. */
export interface LimitCase {
  operationId: string;
  method: string;
  /** The path with every `{param}` filled with a fresh uuid. */
  url: string;
  /** Whether the operation needs a bearer token (the document's default) or is public. */
  secured: boolean;
  location: 'body' | 'query' | 'header';
  /** The field as the API names it in `errors[].field` (dotted path; header and query names). */
  field: string;
  limit: Limit;
  /** The operation's valid example body (send it to check the caller gets through). */
  example?: unknown;
  /** The valid example with the one field changed (body cases), else the example as is. */
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/** A valid value for the path parameter `name` of `path`, or undefined for a fresh uuid. */
export type PathParam = (name: string, path: string) => string | undefined;

/** An operation whose body example every case of it starts from. */
export interface Baseline {
  operationId: string;
  method: string;
  url: string;
  secured: boolean;
  body?: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const DECIMAL = /^\^\(0\|\[1-9\]\\d\*\)/; // the decimal-amount pattern of @lib/platform

/** Values tried, in order, for one that a pattern refuses. */
const PATTERN_BREAKERS = ['', ' ', '!', 'A B', '-', '..', 'a'.repeat(300)];

function resolve(doc: Document, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return doc.components?.schemas?.[schema.$ref.split('/').pop()!];
}

function firstAsset(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(firstAsset).find(Boolean);
  if (!value || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.asset === 'string') return record.asset;
  return Object.values(record).map(firstAsset).find(Boolean);
}

function breakPattern(pattern: string): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  return PATTERN_BREAKERS.find((candidate) => !regex.test(candidate));
}

/** Values one step past each limit of a scalar schema. */
function scalarBreaks(
  schema: Schema,
  decimalsOf: () => number | undefined,
): { limit: Limit; value: unknown }[] {
  const breaks: { limit: Limit; value: unknown }[] = [];
  if (schema.type === 'string') {
    if (schema.maxLength !== undefined) {
      breaks.push({ limit: 'maxLength', value: 'a'.repeat(schema.maxLength + 1) });
    }
    if (schema.pattern !== undefined) {
      const value = breakPattern(schema.pattern);
      if (value !== undefined) breaks.push({ limit: 'pattern', value });
      const decimals = DECIMAL.test(schema.pattern) ? decimalsOf() : undefined;
      if (decimals !== undefined) {
        breaks.push({ limit: 'decimals', value: `1.${'0'.repeat(decimals)}1` });
      }
    }
  }
  if (schema.enum !== undefined) breaks.push({ limit: 'enum', value: 'not-one-of-the-values' });
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.maximum !== undefined) breaks.push({ limit: 'maximum', value: schema.maximum + 1 });
    if (schema.minimum !== undefined) breaks.push({ limit: 'minimum', value: schema.minimum - 1 });
  }
  return breaks;
}

const setAt = (root: unknown, path: (string | number)[], value: unknown): unknown => {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
};

/** Every (field, limit) of a body below `path`, as the body with that one field broken. */
function bodyBreaks(
  doc: Document,
  schema: Schema | undefined,
  example: unknown,
  value: unknown,
  path: (string | number)[],
  decimalsOf: () => number | undefined,
): { field: string; limit: Limit; body: unknown }[] {
  const resolved = resolve(doc, schema);
  if (!resolved || value === undefined) return [];
  const field = path.join('.');
  const here = (limit: Limit, broken: unknown) => ({
    field,
    limit,
    body: (setAt({ root: example }, ['root', ...path], broken) as { root: unknown }).root,
  });
  const out: { field: string; limit: Limit; body: unknown }[] = [];
  if (resolved.type === 'object' && resolved.properties && value && typeof value === 'object') {
    for (const [key, property] of Object.entries(resolved.properties)) {
      const child = (value as Record<string, unknown>)[key];
      out.push(...bodyBreaks(doc, property, example, child, [...path, key], decimalsOf));
    }
  } else if (resolved.type === 'array' && Array.isArray(value)) {
    if (resolved.maxItems !== undefined && value.length > 0) {
      const longer = Array.from(
        { length: resolved.maxItems + 1 },
        (_, i) => value[i % value.length] as unknown,
      );
      out.push(here('maxItems', longer));
    }
    if (value.length > 0) {
      out.push(...bodyBreaks(doc, resolved.items, example, value[0], [...path, 0], decimalsOf));
    }
  } else {
    for (const { limit, value: broken } of scalarBreaks(resolved, decimalsOf)) {
      out.push(here(limit, broken));
    }
  }
  return out;
}

/** One operation of `doc` with its valid example body (what each case changes one field of). */
export function baseline(
  doc: Document,
  path: string,
  method: string,
  pathParam: PathParam = () => undefined,
): Baseline {
  const operation = doc.paths[path][method];
  return {
    operationId: operation.operationId ?? `${method} ${path}`,
    method,
    url: path.replace(/\{([^}]+)\}/g, (_, name: string) => pathParam(name, path) ?? randomUUID()),
    secured: !(Array.isArray(operation.security) && operation.security.length === 0),
    body: operation.requestBody?.content?.['application/json']?.example,
  };
}

/**
 * Every request field of `doc` that has a limit (maxLength, pattern, enum, an asset's decimals,
 * maxItems, maximum, minimum), each as a request one step past it. Body fields are found through
 * the operation's example (a field the example leaves out is not reached: give full examples);
 * `decimals` looks up the asset named by the example's first `asset` field.
 */
export function limitCases(
  doc: Document,
  options: {
    decimals: (asset: string) => number | undefined;
    paths?: RegExp;
    /** A valid value for a path parameter (default: a fresh uuid). */
    pathParam?: PathParam;
  },
): LimitCase[] {
  const cases: LimitCase[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (options.paths && !options.paths.test(path)) continue;
    for (const method of METHODS.filter((m) => item[m])) {
      const operation = item[method];
      const common = {
        ...baseline(doc, path, method, options.pathParam),
        example: undefined as unknown,
      };
      common.example = common.body;
      const body = operation.requestBody?.content?.['application/json'];
      if (body?.example !== undefined) {
        const asset = firstAsset(body.example);
        const decimalsOf = () => (asset === undefined ? undefined : options.decimals(asset));
        for (const c of bodyBreaks(doc, body.schema, body.example, body.example, [], decimalsOf)) {
          cases.push({ ...common, location: 'body', ...c });
        }
      }
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query' && parameter.in !== 'header') continue;
        const schema = resolve(doc, parameter.schema);
        if (!schema) continue;
        for (const { limit, value } of scalarBreaks(schema, () => undefined)) {
          const text = String(value);
          cases.push({
            ...common,
            location: parameter.in,
            field: parameter.name,
            limit,
            ...(parameter.in === 'query'
              ? { query: { [parameter.name]: text } }
              : { headers: { [parameter.name]: text } }),
          });
        }
      }
    }
  }
  return cases;
}
