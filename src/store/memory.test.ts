import { describeStoreContract } from '../../test/support/store-contract.js';
import { createMemoryStore } from './memory.js';

// The reference store runs the shared contract on its own, with or without a Redis server.
describeStoreContract('memory', () => createMemoryStore());
