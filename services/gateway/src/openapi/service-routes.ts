import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ServiceRoutes } from './build-document';

// Build time only (the generator script and the tests): the gateway never imports a service at
// run time; it serves the checked-in openapi.json this produces.

/** The services whose `src/openapi.ts` make the document, in document order. */
export const DOCUMENTED_SERVICES = [
  'applications',
  'grants',
  'milestones',
  'disbursements',
  'near-settlement',
] as const;

export const SERVICES_DIR = join(__dirname, '..', '..', '..');

/** Every service's `openApiRoutes`, skipping a service that has no `src/openapi.ts` yet. */
export function loadServiceRoutes(): ServiceRoutes[] {
  return DOCUMENTED_SERVICES.flatMap((service) => {
    const file = join(SERVICES_DIR, service, 'src', 'openapi.ts');
    if (!existsSync(file)) return [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(file.replace(/\.ts$/, '')) as { openApiRoutes?: RouteConfig[] };
    if (!Array.isArray(loaded.openApiRoutes)) {
      throw new Error(`${file} must export openApiRoutes: RouteConfig[]`);
    }
    return [{ service, routes: loaded.openApiRoutes }];
  });
}
