// Node-only: pool threads as worker threads.
export { nodeThreadSpawner } from './node-thread-spawner.js';
