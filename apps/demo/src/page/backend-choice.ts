import { ALL_BACKENDS, type BackendName } from '@edet/model';

/** The backend the URL asks for (`?backend=webgl`), or `undefined` for none or an unknown name. */
export function requestedBackend(search: string): BackendName | undefined {
  const name = new URLSearchParams(search).get('backend');
  return ALL_BACKENDS.find((backend) => backend === name);
}

/** The order to try backends in: the chosen one first, then the others fastest first. */
export function backendPreferences(chosen: BackendName | undefined): BackendName[] {
  if (chosen === undefined) return [...ALL_BACKENDS];
  return [chosen, ...ALL_BACKENDS.filter((backend) => backend !== chosen)];
}
