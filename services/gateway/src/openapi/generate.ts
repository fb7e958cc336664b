import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from './build-document';
import { DOCUMENT_FILE, serialise } from './document-file';
import { loadServiceRoutes } from './service-routes';

// `npm run openapi`: regenerates services/gateway/openapi.json from every service's src/openapi.ts.

const services = loadServiceRoutes();
writeFileSync(DOCUMENT_FILE, serialise(buildOpenApiDocument(services)));
const operations = services.reduce((n, s) => n + s.routes.length, 0);
process.stdout.write(
  `wrote ${DOCUMENT_FILE}: ${operations} operations from ${services.map((s) => s.service).join(', ')}\n`,
);
