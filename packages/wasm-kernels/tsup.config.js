import { packageBuild } from '../../tooling/tsup.preset.js';

// Two entries: the kernels, and the Node worker-thread spawner for their pool (`@edet/wasm-kernels/node`).
export default packageBuild({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' } });
