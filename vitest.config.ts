import { defineConfig } from 'vitest/config';
import { deployedBaseUrl } from './test/e2e/deployed.js';

export default defineConfig({
  test: {
    // The service logs JSON to stdout; in tests only the failures' own output should speak.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Against a deployed stage (BASE_URL, see test/e2e/global-setup.ts), leave out the tests
          // that need the local stack itself (its event bus recorder): `*.local.test.ts`.
          exclude: deployedBaseUrl() ? ['test/e2e/**/*.local.test.ts'] : [],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          // After unit, integration and e2e: the e2e load test's timings must not share the cores.
          sequence: { groupOrder: 1 },
          globalSetup: ['test/cli/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      {
        // The web console in headless Chromium (apt-get install -y chromium), against the local stack.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
