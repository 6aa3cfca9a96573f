import { createServer, type Server } from 'node:net';

/**
 * A free port for each name, e.g. `{ httpPort: 40123, ... }`. Each is bound (port 0) and all are
 * held until every one is known, so they are distinct; then they are released for the servers
 * that will use them.
 */
export async function freePorts<K extends string>(names: readonly K[]): Promise<Record<K, number>> {
  const servers = await Promise.all(names.map(listenOnAnyPort));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return Object.fromEntries(names.map((name, i) => [name, ports[i]])) as Record<K, number>;
}

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
