export * from './account-id';
export * from './assets';
export * from './network';
export * from './treasury-signer';
export * from './rpc-error';
export * from './transactions';
export * from './views';
export * from './nep413';
