import { MemoryStore } from '../../lib/adapters/memory-store.js';
import { storeContract } from '../contract/store.contract.js';

storeContract('in memory', async () => new MemoryStore());
