import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { failedConditions, type TransactItem } from '../dynamo.js';
import { GesError, translateAwsError } from '../errors.js';
import { graphKey, graphNameKey, graphPrefix } from '../keys.js';
import type { GraphRecord, GraphStatusCode } from './model.js';

/** Graph records in the control table. */
export class GraphRepo {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Writes the graph and claims its name in one transaction (names are unique per project), with
   * any other records that must appear with it (its CreateGraph job).
   */
  async create(graph: GraphRecord, alongside: TransactItem[] = []) {
    try {
      await this.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { ...graphNameKey(graph.projectId, graph.name), graphId: graph.graphId },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { ...graphKey(graph.projectId, graph.graphId), ...graph },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...alongside,
          ],
        }),
      );
    } catch (e) {
      const failed = failedConditions(e);
      if (failed?.[0]) {
        throw new GesError('GES.0001', `Incorrect parameter. A graph named ${graph.name} already exists.`);
      }
      if (failed)
        throw new GesError('GES.0001', 'Incorrect parameter. The number of graphs reaches the upper limit.');
      throw translateAwsError('DynamoDB', e);
    }
  }

  /**
   * Moves a free graph from one status to another, optionally taking its lock for a job. Conditional
   * on the status, the generation and the lock as read, so of two racing requests one wins.
   */
  transitionAction(graph: GraphRecord, to: GraphStatusCode, lockFor?: string): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: graphKey(graph.projectId, graph.graphId),
        UpdateExpression: lockFor ? 'SET #status = :to, lockJobId = :job' : 'SET #status = :to',
        ConditionExpression: '#status = :from AND attribute_not_exists(lockJobId) AND generation = :gen',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': to,
          ':from': graph.status,
          ':gen': graph.generation,
          ...(lockFor && { ':job': lockFor }),
        },
      },
    };
  }

  /** Frees a graph that `jobId` holds, into status `to`, switching its data generation if given. */
  releaseAction(
    graph: Pick<GraphRecord, 'projectId' | 'graphId'>,
    jobId: string,
    to: GraphStatusCode,
    generation?: number,
  ): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: graphKey(graph.projectId, graph.graphId),
        UpdateExpression:
          generation === undefined
            ? 'SET #status = :to REMOVE lockJobId'
            : 'SET #status = :to, generation = :gen REMOVE lockJobId',
        ConditionExpression: 'lockJobId = :job',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': to,
          ':job': jobId,
          ...(generation !== undefined && { ':gen': generation }),
        },
      },
    };
  }

  /** Frees a graph's name for reuse (when the graph is deleted). */
  releaseNameAction(graph: GraphRecord): TransactItem {
    return {
      Delete: {
        TableName: this.table,
        Key: graphNameKey(graph.projectId, graph.name),
        ConditionExpression: 'graphId = :id',
        ExpressionAttributeValues: { ':id': graph.graphId },
      },
    };
  }

  /** Removes a deleted graph's record for good. */
  removeAction(graph: Pick<GraphRecord, 'projectId' | 'graphId'>): TransactItem {
    return { Delete: { TableName: this.table, Key: graphKey(graph.projectId, graph.graphId) } };
  }

  async get(projectId: string, graphId: string): Promise<GraphRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: graphKey(projectId, graphId), ConsistentRead: true }),
      );
      return out.Item ? toGraph(out.Item) : undefined;
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  async findByName(projectId: string, name: string): Promise<GraphRecord | undefined> {
    try {
      const out = await this.ddb.send(
        new GetCommand({ TableName: this.table, Key: graphNameKey(projectId, name), ConsistentRead: true }),
      );
      const graphId = out.Item?.graphId as string | undefined;
      return graphId ? this.get(projectId, graphId) : undefined;
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
  }

  /** All graphs of a project, oldest first. A project holds few graphs, so one paged query serves. */
  async list(projectId: string): Promise<GraphRecord[]> {
    const graphs: GraphRecord[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const out = await this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': graphKey(projectId, '').pk, ':prefix': graphPrefix },
            ExclusiveStartKey: start,
          }),
        );
        graphs.push(...(out.Items ?? []).map(toGraph));
        start = out.LastEvaluatedKey;
      } while (start);
    } catch (e) {
      throw translateAwsError('DynamoDB', e);
    }
    return graphs.sort((a, b) => a.createdAt - b.createdAt || a.graphId.localeCompare(b.graphId));
  }
}

function toGraph(item: Record<string, unknown>): GraphRecord {
  const { pk: _pk, sk: _sk, ...graph } = item;
  return graph as GraphRecord;
}
