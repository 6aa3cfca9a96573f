// @ts-check
/**
 * Mutation testing of the integrity, auth and job-state code against the unit tests (`npm run
 * mutate`, not part of `npm test`). The report: reports/mutation/mutation.json (and .html); turn it
 * into RELIABILITY.md's section with `npx tsx scripts/mutation-report.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: false },
  // The typescript checker works (@stryker-mutator/typescript-checker), but on two cores it takes one
  // of the two processes and doubles the run; a mutant that does not compile fails its tests anyway
  // (vitest strips types, so it runs: such mutants are counted as killed or survived, not as errors).
  coverageAnalysis: 'perTest',
  concurrency: 2,
  mutate: [
    'lib/records/backups/read-part.ts',
    'lib/records/backups/format.ts',
    'lib/records/backups/manifest.ts',
    'lib/http/authenticate.ts',
    'lib/records/jobs/job-repo.ts',
    'lib/runtime/run-job.ts',
    'lib/runtime/heartbeat.ts',
    'lib/runtime/sweep.ts',
    'lib/records/graphs/rules.ts',
    'lib/operations/graphs/garbage.ts',
  ],
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['.local', '.esbuild', '.serverless', 'reports', 'coverage', 'test-results'],
  timeoutMS: 20_000,
};
