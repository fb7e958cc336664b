import type { OpenAPIObject } from '@nestjs/swagger';
import generated from '../../openapi.json';

/**
 * The public API v1 document the gateway serves: generated from every service's zod schemas by
 * `npm run openapi` (openapi/generate.ts) and checked in, so the gateway imports no service at
 * run time. `document.spec.ts` fails when the file and the services' schemas part.
 */
export const openApiDocument = generated as unknown as OpenAPIObject;
