import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BACKUP_REQUESTED } from '../lib/operations/policies/backup-requests.js';
import { LOCAL_AWS } from './emulators.js';

/**
 * `npm run event -- --project <id> --graph <graphId>`: puts a `Graph Backup Requested` event on the
 * local stack's EventBridge (EVENTS_PORT, 4010), as another system would on AWS. `--list` prints
 * every event put so far, the service's own `Graph Backup Succeeded` and the like included.
 */
const { values } = parseArgs({
  options: {
    project: { type: 'string', default: 'demo' },
    graph: { type: 'string' },
    list: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.EVENTS_PORT ?? '4010' },
  },
});
const endpoint = `http://127.0.0.1:${values.port}`;
// Node 20 here is deliberate (DESIGN.md); the SDK's reminder that it will need Node 22 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

if (values.list) {
  console.log(JSON.stringify(await (await fetch(`${endpoint}/events`)).json(), null, 2));
} else {
  if (!values.graph) {
    console.error('usage: npm run event -- --project <id> --graph <graphId>   (or --list)');
    process.exit(2);
  }
  const client = new EventBridgeClient({ endpoint, ...LOCAL_AWS });
  const out = await client.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'ges-backup-local-events',
          Source: 'ges.backup.requests',
          DetailType: BACKUP_REQUESTED,
          Detail: JSON.stringify({ projectId: values.project, graphId: values.graph }),
        },
      ],
    }),
  );
  console.log(`put event ${out.Entries?.[0]?.EventId}; follow it with: npm run event -- --list`);
}
