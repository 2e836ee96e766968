import { packageBuild } from '../../tooling/tsup.preset.js';

// Two entries: the isomorphic core, and the file-system and image-decoding adapters (`@edet/data/node`).
export default packageBuild({
  entry: { index: 'src/index.ts', node: 'src/node/index.ts' },
  external: [/^@tensorflow\//, /^@edet\//, /^@napi-rs\//],
});
