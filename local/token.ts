import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../lib/http/authenticate.js';
import { issueToken } from './auth.js';

/** `npm run token -- --project <id> [--role viewer|operator|admin] [--expires-in 1h]` */
const { values } = parseArgs({
  options: {
    project: { type: 'string', default: 'demo' },
    role: { type: 'string', default: 'admin' },
    'expires-in': { type: 'string', default: '1h' },
  },
});
if (!ROLES.includes(values.role as Role)) {
  console.error(`--role must be one of ${ROLES.join(', ')}`);
  process.exit(2);
}
console.log(
  await issueToken({
    projectId: values.project,
    roles: [values.role as Role],
    expiresIn: values['expires-in'],
  }),
);
