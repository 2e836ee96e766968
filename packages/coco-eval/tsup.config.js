import { packageBuild } from '../../tooling/tsup.preset.js';

// Two entries: the isomorphic evaluator, and the Node file readers (`@edet/coco-eval/node`).
export default packageBuild({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' } });
