// Runs before every test file: starts the backend named by EDET_TEST_BACKEND (default wasm, the fast one).
// `useBackend` comes from its own module, not the package index: most test files never build a model, and
// evaluating the whole model package before each of them cost about a second per file.
import type { BackendName } from '../../packages/model/src/backends/backend-loader.js';
import { cpu } from '../../packages/model/src/backends/cpu.js';
import { useBackend } from '../../packages/model/src/backends/use-backend.js';
import { wasm } from '../../packages/model/src/backends/wasm.js';

const backend = (process.env.EDET_TEST_BACKEND ?? 'wasm') as BackendName;
const loaders = { wasm, cpu } as const;
if (!(backend in loaders)) throw new Error(`EDET_TEST_BACKEND: expected wasm or cpu, got ${backend}`);
await useBackend([loaders[backend as keyof typeof loaders]]);
