import { it } from 'vitest';
import { EfficientDet, rwightmanKeyMap } from '@edet/model';
it('time', () => {
  for (const coef of [1, 3, 7, 8]) {
    const t0 = Date.now();
    const m = new EfficientDet({ compoundCoef: coef });
    const t1 = Date.now();
    const map = rwightmanKeyMap(m);
    console.log(coef, 'build ms', t1 - t0, 'map ms', Date.now() - t1, map.pairs.length, map.modelOnly.length, m.parameterCount());
    m.dispose();
  }
});
