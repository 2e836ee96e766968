import { describe, expect, it } from 'vitest';

import { EfficientDet } from '@edet/model';

describe('EfficientDet parameter counts', () => {
  it('D0 with 90 classes has the official 3,880,067 parameters', () => {
    const model = new EfficientDet({ compoundCoef: 0 });
    try {
      expect(model.parameterCount()).toBe(3_880_067);
      expect(model.backbone.parameterCount()).toBe(3_595_388);
      expect(model.bifpn.parameterCount()).toBe(196_281);
      expect(model.regressor.parameterCount()).toBe(19_044);
      expect(model.classifier.parameterCount()).toBe(69_354);
    } finally {
      model.dispose();
    }
  });
});
