import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger for the whole service; handlers add the job and request ids as keys. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ges-backup' });
