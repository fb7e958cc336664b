export * from './program';
export * from './progress';
export * from './rebuild';
export * from './registry';
