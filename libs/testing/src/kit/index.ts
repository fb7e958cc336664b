export * from './decider';
export * from './openapi-limits';
