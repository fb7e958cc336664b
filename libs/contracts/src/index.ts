export * from './envelope';
export * from './topics';
export * from './registry';
export * from './applications';
export * from './all-contracts';
