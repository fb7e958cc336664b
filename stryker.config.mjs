// Mutation testing of the pure deciders (on demand: `npm run mutate -- <aggregate>`; never part of
// `npm test` or CI — a run takes minutes). One aggregate per run: Stryker mutates that aggregate's
// decider and state/evolve files and runs ONLY that aggregate's decider spec (the unit tests that are
// meant to pin its rules), so the score says how well those specs pin the rules.
// Report: reports/mutation/<aggregate>.html (+ .json). Results are written up in docs/mutation.md.
import { readFileSync } from 'node:fs';

const aggregates = {
  disbursement: {
    mutate: [
      'services/disbursements/src/disbursement/disbursement.decider.ts',
      'services/disbursements/src/disbursement/disbursement.ts',
    ],
    specs: ['services/disbursements/src/disbursement/disbursement.decider.spec.ts'],
  },
  treasury: {
    mutate: [
      'services/disbursements/src/treasury/treasury.decider.ts',
      'services/disbursements/src/treasury/treasury.ts',
    ],
    specs: ['services/disbursements/src/treasury/treasury.decider.spec.ts'],
  },
  milestone: {
    mutate: [
      'services/milestones/src/milestone/milestone.decider.ts',
      'services/milestones/src/milestone/milestone.ts',
    ],
    specs: ['services/milestones/src/milestone/milestone.decider.spec.ts'],
  },
  application: {
    mutate: [
      'services/applications/src/application/application.decider.ts',
      'services/applications/src/application/application.ts',
    ],
    specs: ['services/applications/src/application/application.decider.spec.ts'],
    // The spec takes only deciderSpec from @lib/testing; the barrel also loads the NEAR emulator
    // (HTTP server, crypto), which costs ~2 s per mutant. Same function, straight from its file.
    moduleNameMapper: { '^@lib/testing$': '<rootDir>/libs/testing/src/kit/decider' },
  },
  grant: {
    mutate: ['services/grants/src/grant/grant.decider.ts', 'services/grants/src/grant/grant.ts'],
    specs: ['services/grants/src/grant/grant.decider.spec.ts'],
  },
  payout: {
    mutate: [
      'services/near-settlement/src/payout/payout.decider.ts',
      'services/near-settlement/src/payout/payout.ts',
    ],
    specs: ['services/near-settlement/src/payout/payout.decider.spec.ts'],
  },
};

const name = process.env.MUTATE_AGGREGATE;
const aggregate = aggregates[name];
if (!aggregate) {
  throw new Error(
    `MUTATE_AGGREGATE must be one of: ${Object.keys(aggregates).join(', ')} (got ${JSON.stringify(name)}); ` +
      'run `npm run mutate -- <aggregate>`',
  );
}

// The repo's "unit" jest project (swc transform, @lib/* mapper), narrowed to this aggregate's spec.
const unit = JSON.parse(
  readFileSync(new URL('./package.json', import.meta.url), 'utf8'),
).jest.projects.find((p) => p.displayName === 'unit');
const { displayName: _displayName, testRegex: _testRegex, roots: _roots, ...unitProject } = unit;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    enableFindRelatedTests: false,
    config: {
      ...unitProject,
      roots: ['<rootDir>/services', '<rootDir>/libs'],
      moduleNameMapper: { ...aggregate.moduleNameMapper, ...unitProject.moduleNameMapper },
      testRegex: `/(${aggregate.specs.map(escape).join('|')})$`,
    },
  },
  mutate: aggregate.mutate,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 10000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // The sandbox gets only what the deciders and their specs load (node_modules is linked, not copied).
  ignorePatterns: ['/*', '!/services', '!/libs', '!/package.json', '!/tsconfig.json', '!/.swcrc'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 95, low: 90, break: null },
};
