import { join } from 'node:path';

/** The checked-in document the gateway serves (regenerate with `npm run openapi`). */
export const DOCUMENT_FILE = join(__dirname, '..', '..', 'openapi.json');

/** The file's exact text for a document: stable key order as generated, two-space indent. */
export const serialise = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;
