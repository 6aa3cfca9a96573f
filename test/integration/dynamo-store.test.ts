import { storeContract } from '../contract/store.contract.js';
import { isolatedStack } from './support.js';

storeContract('DynamoDB Local', async () => (await isolatedStack()).deps.store);
