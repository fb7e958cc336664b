// Kept as a dotfile so the repository's top level stays as DESIGN.md fixes it; `npm run lint` passes it with -c.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

const NO_OTHER_SERVICE = { group: ['**/services/**', '../../services/*'], message: 'libs and services never import another service' };
const NO_OTHER_SERVICE_FROM_LIBS = { group: ['**/services/**'], message: 'libs never import a service' };
/** Aggregate files: services/<svc>/src/<aggregate>/<aggregate>.ts (events, state, evolve). */
const aggregateFiles = readdirSync(join(import.meta.dirname, 'services')).flatMap((service) => {
  const src = join(import.meta.dirname, 'services', service, 'src');
  if (!existsSync(src)) return [];
  return readdirSync(src, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `services/${service}/src/${entry.name}/${entry.name}.ts`);
});
/** A relative import that climbs `ups` levels from a file: out of its service's folder. */
const climbsOut = (ups) => ({
  regex: `^(\\.\\./){${ups},}`,
  message: 'a service never imports another service by a relative path (only libs/contracts and HTTP cross the boundary)',
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.kafka/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': ['error', { patterns: [NO_OTHER_SERVICE] }],
    },
  },
  // A service's code never reaches into another service by a relative path (only libs/contracts
  // and HTTP cross a boundary). Depth-specific: climbing past services/<service>/ is the breach.
  { files: ['services/*/*/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_OTHER_SERVICE, climbsOut(2)] }] } },
  { files: ['services/*/*/*/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_OTHER_SERVICE, climbsOut(3)] }] } },
  { files: ['services/*/*/*/*/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_OTHER_SERVICE, climbsOut(4)] }] } },
  // Pure deciders: the decider, its errors and the aggregate file (services/<svc>/src/<aggregate>/
  // <aggregate>.ts) import nothing that loads Nest, kafkajs, pg or TypeORM — nor the
  // barrels that do (@lib/platform, @lib/event-store, @lib/messaging, @lib/auth, @lib/testing) —
  // nor a sibling with I/O. ProblemError comes from @lib/contracts.
  {
    files: ['services/*/src/**/*.decider.ts', 'services/*/src/**/*.errors.ts', ...aggregateFiles],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_OTHER_SERVICE,
            climbsOut(3),
            {
              group: ['@nestjs/*', 'kafkajs', 'pg', 'typeorm', 'nestjs-pino', 'express', '@lib/platform', '@lib/event-store', '@lib/messaging', '@lib/auth', '@lib/testing'],
              message: 'deciders and aggregates are pure: nothing that loads Nest, kafkajs, pg or TypeORM (ProblemError is in @lib/contracts)',
            },
            {
              regex: '\\.(dto|handler|controller|module|projection|consumer|outbound|config)$|/config$',
              message: 'deciders and aggregates are pure: no sibling with I/O or config',
            },
          ],
        },
      ],
    },
  },
  // Exception: tests and benches start the gateway and a service in one process (the gateway's
  // document test reads the services' schemas), so they may import another service.
  {
    files: ['**/*.spec.ts', 'services/*/test/**/*.ts', 'services/*/bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_OTHER_SERVICE_FROM_LIBS] }] },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
