export * from './near-emulator';
