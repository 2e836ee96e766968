import { packageBuild } from '../../tooling/tsup.preset.js';

// One entry per backend, so that an app bundles only the backends it imports.
export default packageBuild({
  entry: {
    index: 'src/index.ts',
    'backends/cpu': 'src/backends/cpu.ts',
    'backends/wasm': 'src/backends/wasm.ts',
    'backends/wasm-node': 'src/backends/wasm-node.ts',
    'backends/webgl': 'src/backends/webgl.ts',
    'backends/webgpu': 'src/backends/webgpu.ts',
  },
});
