export * from './openapi-limits';
