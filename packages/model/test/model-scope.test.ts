import { describe, expect, it } from 'vitest';

import { modelScopeNotice } from '../src/model-scope.js';

describe('modelScopeNotice', () => {
  it('names every class and the training data in plain words', () => {
    const notice = modelScopeNotice({ name: 'EfficientDet-D0 BCCD', labels: ['RBC', 'WBC', 'Platelets'], dataset: 'BCCD train split' });
    expect(notice).toBe(
      'EfficientDet-D0 BCCD knows only RBC, WBC and Platelets (trained on BCCD train split): on images of anything else its boxes ' +
        'mean nothing. Load weights trained for your objects to detect them.',
    );
  });

  it('skips unused class ids and a missing dataset; says nothing for untrained weights', () => {
    expect(modelScopeNotice({ name: 'm', labels: ['', 'cat'], dataset: null })).toMatch(/^m knows only cat: /);
    expect(modelScopeNotice({ name: 'm', labels: ['cat'], trained: false })).toBeUndefined();
  });
});
