export * from './bootstrap';
export * from './config';
export * from './correlation';
export * from './database';
export * from './health';
export * from './platform.module';
export * from './problem';
export * from './tokens';
