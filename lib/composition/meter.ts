/**
 * What a process's AWS calls consumed, for the benchmark's price per backup (bench/cost.ts): DynamoDB
 * read and write capacity units as DynamoDB reports them (`ReturnConsumedCapacity: 'TOTAL'`, added to
 * every call that takes it), and the number of requests of each service and command. Only with
 * `AWS_USAGE_METER=true` (withRecorder adds it); never in a deployed function.
 */
export type Usage = {
  /** read and write capacity units, as on-demand bills them (RRU, WRU) */
  dynamodb: { readUnits: number; writeUnits: number };
  /** requests by `Service.Command`, e.g. `S3.PutObject`, `SQS.SendMessage`, `DynamoDB.Query` */
  requests: Record<string, number>;
};

const totals: Usage = { dynamodb: { readUnits: 0, writeUnits: 0 }, requests: {} };

/** A copy of the totals so far, for this process. */
export const usageSoFar = (): Usage => ({
  dynamodb: { ...totals.dynamodb },
  requests: { ...totals.requests },
});

/** Commands that take `ReturnConsumedCapacity`, and whether what they consume is read or write. */
const CAPACITY: Record<string, 'read' | 'write'> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
};

type Consumed = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

type Stack = {
  add(
    middleware: (
      next: (args: { input: Record<string, unknown> }) => Promise<{ output?: unknown }>,
      context: { clientName?: string; commandName?: string },
    ) => (args: { input: Record<string, unknown> }) => Promise<{ output?: unknown }>,
    options: { step: 'initialize'; name: string; priority: 'low' },
  ): void;
};

/** Adds the meter to a client's middleware stack (DynamoDB, S3, SQS, EventBridge alike). */
export function withMeter<C extends { middlewareStack: unknown }>(client: C): C {
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const service = (context.clientName ?? '').replace(/Client$/, '');
      const command = (context.commandName ?? '').replace(/Command$/, '');
      const kind = service === 'DynamoDB' ? CAPACITY[command] : undefined;
      const input = kind ? { ...args.input, ReturnConsumedCapacity: 'TOTAL' } : args.input;
      const key = `${service}.${command}`;
      totals.requests[key] = (totals.requests[key] ?? 0) + 1;
      const result = await next({ ...args, input });
      if (kind)
        addConsumed(kind, (result.output as { ConsumedCapacity?: Consumed | Consumed[] })?.ConsumedCapacity);
      return result;
    },
    { step: 'initialize', name: 'meterAwsUsage', priority: 'low' },
  );
  return client;
}

/**
 * A transaction reports read and write units apart (its ConditionChecks read); other calls report
 * their total only, read or write by the command.
 */
function addConsumed(kind: 'read' | 'write', consumed: Consumed | Consumed[] | undefined) {
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      totals.dynamodb.readUnits += c.ReadCapacityUnits ?? 0;
      totals.dynamodb.writeUnits += c.WriteCapacityUnits ?? 0;
    } else if (kind === 'read') totals.dynamodb.readUnits += c.CapacityUnits ?? 0;
    else totals.dynamodb.writeUnits += c.CapacityUnits ?? 0;
  }
}
