import { fileURLToPath } from 'node:url';

/**
 * The PyTorch peer of `edet bench --pytorch` (`peers/zylo117_peer.py`), shipped with the package. This
 * module sits directly under `src/`, as the bundle does under `dist/`, so the path holds for both.
 */
export const PYTORCH_PEER_SCRIPT = fileURLToPath(new URL('../peers/zylo117_peer.py', import.meta.url));
