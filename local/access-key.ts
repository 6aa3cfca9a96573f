import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../lib/core/roles.js';
import { issueToken } from './auth.js';

/**
 * `npm run access-key -- --project <id> [--role viewer|operator|admin] [--description text]`: an
 * access key of the running local stack (`npm start`, PORT or 3000), made through its admin route
 * with a local admin token. Prints the AK and the SK: the SK is shown this once.
 */
const { values } = parseArgs({
  options: {
    project: { type: 'string', default: 'demo' },
    role: { type: 'string', default: 'operator' },
    description: { type: 'string', default: 'made by npm run access-key' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 3000}` },
  },
});
if (!ROLES.includes(values.role as Role)) {
  console.error(`--role must be one of ${ROLES.join(', ')}`);
  process.exit(2);
}
const token = await issueToken({ projectId: values.project, roles: ['admin'], expiresIn: '5m' });
const response = await fetch(`${values.url}/v1.0/${encodeURIComponent(values.project)}/access-keys`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-auth-token': token },
  body: JSON.stringify({ role: values.role, description: values.description }),
}).catch((e: Error) => {
  console.error(`no local stack answers on ${values.url} (npm start): ${e.message}`);
  process.exit(1);
});
const body = (await response.json()) as { credential?: { access: string; secret: string } };
if (!response.ok || !body.credential) {
  console.error(`${response.status}: ${JSON.stringify(body)}`);
  process.exit(1);
}
console.log(`AK=${body.credential.access}\nSK=${body.credential.secret}`);
