export * from './authorization-matrix';
export * from './decider';
export * from './defaults';
export * from './eventually';
export * from './openapi-limits';
export * from './tokens';
export * from './topic-tail';
export * from './fuzz';
