export * from './near-emulator';
export * from './kit';
