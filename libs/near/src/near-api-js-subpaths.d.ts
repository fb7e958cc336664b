// tsconfig uses moduleResolution "node", which ignores package.json "exports"; Node and Jest resolve
// these subpaths at run time, so the types are pointed at the files the exports map names.
declare module 'near-api-js/rpc-errors' {
  export * from 'near-api-js/lib/rpc-errors/index';
}
declare module 'near-api-js/nep413' {
  export * from 'near-api-js/lib/nep413/index';
}
