import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { ValidationProblem } from './problem';

/** Encodes and decodes one list's opaque pagination cursor. */
export interface CursorCodec<T> {
  encode(position: T): string;
  /** The position in `cursor`; a 400 ValidationProblem on `field` for anything this API did not issue. */
  decode(cursor: string, field?: string): T;
}

const MAX_CURSOR_LENGTH = 500;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TAG_BYTES = 16;

/**
 * A cursor codec for keyset pagination: the position is JSON, validated on the way in by
 * `schema` (make it `.strict()` with exact formats: a uuid, an ISO timestamp), so a tampered
 * cursor is a 400 naming the field and never reaches SQL. With a `secret` the cursor also
 * carries an HMAC-SHA256 tag (truncated to 16 bytes), so it is tamper-evident as well.
 */
export function createCursorCodec<S extends z.ZodTypeAny>(
  schema: S,
  options: { secret?: string } = {},
): CursorCodec<z.infer<S>> {
  const tag = (payload: Buffer) =>
    createHmac('sha256', options.secret ?? '')
      .update(payload)
      .digest()
      .subarray(0, TAG_BYTES);
  const invalid = (field: string) =>
    new ValidationProblem(
      [{ field, code: 'invalid_cursor', message: 'not a cursor issued by this API' }],
      400,
    );
  return {
    encode(position) {
      const payload = Buffer.from(JSON.stringify(schema.parse(position)), 'utf8');
      const bytes = options.secret ? Buffer.concat([tag(payload), payload]) : payload;
      return bytes.toString('base64url');
    },
    decode(cursor, field = 'cursor') {
      if (
        typeof cursor !== 'string' ||
        cursor.length === 0 ||
        cursor.length > MAX_CURSOR_LENGTH ||
        !BASE64URL.test(cursor)
      ) {
        throw invalid(field);
      }
      let bytes = Buffer.from(cursor, 'base64url');
      if (options.secret) {
        if (bytes.length <= TAG_BYTES) throw invalid(field);
        const payload = bytes.subarray(TAG_BYTES);
        if (!timingSafeEqual(bytes.subarray(0, TAG_BYTES), tag(payload))) throw invalid(field);
        bytes = payload;
      }
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw invalid(field);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw invalid(field);
      return parsed.data as z.infer<S>;
    },
  };
}
