import type * as Jose from 'jose';

// jose 6 ships only ES modules. Node ≥ 20.19 require()s them natively, but Jest's CommonJS runtime
// cannot parse them, so jose is loaded with Node's own require, outside Jest's module registry.
// (Alternative: let Jest transform it via `transformIgnorePatterns: ['node_modules/(?!jose)']`.)
const nodeModule = process.getBuiltinModule('node:module');

/** The jose module (JWT signing/verification, JWKS). */
export const jose = nodeModule.createRequire(__filename)('jose') as typeof Jose;
