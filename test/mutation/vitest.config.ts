import { defineConfig } from 'vitest/config';

/**
 * The unit tests as `npm run mutate` (stryker.config.mjs) runs them: those that reach the mutated
 * code (a static mutant, one in code that runs at import, runs every test here, so the list is kept
 * to these). Not the two that package the service with osls, nor the console's and the CLI's.
 */
export default defineConfig({
  test: {
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: [
      'test/unit/auth.test.ts',
      'test/unit/access-keys.test.ts',
      'test/unit/sdk-signature.test.ts',
      'test/unit/http*.test.ts',
      'test/unit/backup-format.test.ts',
      'test/unit/read-part.test.ts',
      'test/unit/manifest.test.ts',
      'test/unit/job-rules.test.ts',
      'test/unit/job-repo.test.ts',
      'test/unit/run-job.test.ts',
      'test/unit/heartbeat.test.ts',
      'test/unit/rules.test.ts',
      'test/unit/memory-store.test.ts',
      'test/unit/retention.test.ts',
      'test/unit/policy-runs.test.ts',
      'test/unit/garbage.test.ts',
    ],
  },
});
