import { Controller, Get, Header } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocument } from './document';

/** `GET /openapi.json`: the public API document, for clients and code generators. */
@Controller()
export class OpenApiController {
  @Get('openapi.json')
  @Header('cache-control', 'public, max-age=300')
  document(): OpenAPIObject {
    return openApiDocument;
  }
}
