// Runs before every test file: starts the backend named by EDET_TEST_BACKEND (default wasm, the fast one).
import { type BackendName, useBackend } from '../../packages/model/src/index.js';
import { cpu } from '../../packages/model/src/backends/cpu.js';
import { wasm } from '../../packages/model/src/backends/wasm.js';

const backend = (process.env.EDET_TEST_BACKEND ?? 'wasm') as BackendName;
const loaders = { wasm, cpu } as const;
if (!(backend in loaders)) throw new Error(`EDET_TEST_BACKEND: expected wasm or cpu, got ${backend}`);
await useBackend([loaders[backend as keyof typeof loaders]]);
