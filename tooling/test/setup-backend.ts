// Runs before every test file: starts the backend named by EDET_TEST_BACKEND (default wasm, the fast one).
import { useBackend, type BackendName } from '../../packages/tensor/src/index.js';

const backend = (process.env.EDET_TEST_BACKEND ?? 'wasm') as BackendName;
await useBackend([backend]);
