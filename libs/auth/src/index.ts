export * from './auth.config';
export * from './auth-error';
export * from './auth.guard';
export * from './auth.module';
export * from './decorators';
export * from './jwt';
export * from './roles';
export * from './signin-challenge.store';
