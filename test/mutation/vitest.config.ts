import { defineConfig } from 'vitest/config';

/**
 * The unit tests as `npm run mutate` (stryker.config.mjs) runs them: everything in test/unit but the
 * two that package the service with osls (seconds each, and they test serverless.yml, not lib/).
 */
export default defineConfig({
  test: {
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/cloudformation.test.ts', 'test/unit/localstack.test.ts'],
  },
});
