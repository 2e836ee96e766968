import { packageBuild } from '../../tooling/tsup.preset.js';

export default packageBuild();
