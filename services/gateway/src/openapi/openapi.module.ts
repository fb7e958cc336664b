import { type INestApplication, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ExpressAdapter } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument } from './document';
import { OpenApiController } from './openapi.controller';

export const DOCS_PATH = 'docs';

/** `GET /openapi.json` (controller) and Swagger UI at `GET /docs`, both over one document. */
@Module({ controllers: [OpenApiController] })
export class OpenApiModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * Mounts the docs page from the module so every way of starting the gateway (main.ts, tests,
   * benches) serves it. SwaggerModule only needs the HTTP adapter and static assets from the
   * application; this runs before Nest registers its 404 handler.
   */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as ExpressAdapter;
    const app = {
      getHttpAdapter: () => adapter,
      useStaticAssets: (path: string, options: object): void => {
        adapter.useStaticAssets(path, options);
      },
    } as unknown as INestApplication;
    SwaggerModule.setup(DOCS_PATH, app, openApiDocument, {
      raw: false,
      customSiteTitle: 'Incubator API',
      swaggerOptions: { persistAuthorization: true, displayOperationId: true },
    });
  }
}
