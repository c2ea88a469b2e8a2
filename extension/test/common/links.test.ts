import { describe, expect, it } from 'vitest';

import { experimentsUrl, hubBaseUrl } from '../../src/common/links';

describe('experimentsUrl()', () => {
  it('puts the services next to /hub/ under the same base', () => {
    expect(experimentsUrl('churn', { hubHost: '', hubPrefix: '/hub/' })).toBe(
      '/services/scalelab/mlflow/churn/'
    );
    expect(experimentsUrl('churn', { hubHost: '', hubPrefix: '/base/hub/' })).toBe(
      '/base/services/scalelab/mlflow/churn/'
    );
    expect(experimentsUrl('churn', { hubPrefix: '/a/b/hub' })).toBe(
      '/a/b/services/scalelab/mlflow/churn/'
    );
  });

  it('goes to the hub host when the hub is on another one', () => {
    expect(
      experimentsUrl('churn', { hubHost: 'https://hub.example.org/', hubPrefix: '/base/hub/' })
    ).toBe('https://hub.example.org/base/services/scalelab/mlflow/churn/');
  });

  it('encodes the slug', () => {
    expect(experimentsUrl('a b/c', { hubPrefix: '/hub/' })).toBe(
      '/services/scalelab/mlflow/a%20b%2Fc/'
    );
  });

  it('uses the root without a hub prefix (a lab not run by a hub)', () => {
    expect(hubBaseUrl({})).toBe('/');
    expect(hubBaseUrl({ hubHost: null, hubPrefix: '' })).toBe('/');
    expect(experimentsUrl('churn', { hubPrefix: '' })).toBe('/services/scalelab/mlflow/churn/');
  });
});
