import { describe, expect, it } from 'vitest';

import {
  diffLinkFromSearch,
  diffLinkFromUrl,
  diffTitle,
  notificationText,
  outputPathFromLink,
  projectLinkFromSearch,
  withoutDiffQuery
} from '../../src/notifications/helpers';
import { notification } from './fixtures';

const PUBLIC = 'https://lab.example.com';

describe('notification links', () => {
  it('reads the output path from a user-redirect tree link', () => {
    expect(
      outputPathFromLink(
        `${PUBLIC}/hub/user-redirect/lab/tree/runs/churn/20240502-040000-ab12/train.ipynb`
      )
    ).toBe('runs/churn/20240502-040000-ab12/train.ipynb');
  });

  it('decodes the path and keeps sub folders', () => {
    expect(
      outputPathFromLink(
        `${PUBLIC}/prefix/hub/user-redirect/lab/tree/runs/my%20proj/r1/steps/prepare%20data.ipynb`
      )
    ).toBe('runs/my proj/r1/steps/prepare data.ipynb');
    expect(outputPathFromLink('/user/alice/lab/tree/runs/churn/r1/a.ipynb')).toBe(
      'runs/churn/r1/a.ipynb'
    );
  });

  it('refuses other links', () => {
    expect(outputPathFromLink(undefined)).toBeNull();
    expect(outputPathFromLink('')).toBeNull();
    expect(outputPathFromLink(`${PUBLIC}/hub/user-redirect/lab?x=1`)).toBeNull();
    expect(outputPathFromLink(`${PUBLIC}/hub/user-redirect/lab/tree/`)).toBeNull();
    // `URL` resolves dot segments, even encoded ones: no way out of the tree.
    expect(outputPathFromLink(`${PUBLIC}/lab/tree/runs/%2E%2E/x.ipynb`)).toBe('x.ipynb');
    expect(outputPathFromLink(`${PUBLIC}/lab/tree/runs/a%2F..%2F..%2Fx.ipynb`)).toBeNull();
    expect(outputPathFromLink(`${PUBLIC}/lab/tree/runs/%E0%A4%A/x.ipynb`)).toBeNull();
  });

  it('reads the diff from a link or a query string', () => {
    const url =
      `${PUBLIC}/hub/user-redirect/lab?scalelab-project=churn&scalelab-run=r2` +
      '&scalelab-compare=r1&scalelab-step=train+model';
    const link = { project: 'churn', run: 'r2', compare: 'r1', step: 'train model' };
    expect(diffLinkFromUrl(url)).toEqual(link);
    expect(diffLinkFromSearch(new URL(url).search)).toEqual(link);
    expect(diffLinkFromSearch('?scalelab-project=a%20b&scalelab-run=r&scalelab-compare=c&scalelab-step=s%2Fx')).toEqual({
      project: 'a b',
      run: 'r',
      compare: 'c',
      step: 's/x'
    });
    expect(diffTitle(link)).toBe('Diff train model: r1 → r2');
  });

  it('needs all four diff parameters', () => {
    expect(diffLinkFromSearch('')).toBeNull();
    expect(diffLinkFromSearch('?scalelab-project=churn&scalelab-run=r2&scalelab-step=s')).toBeNull();
    expect(diffLinkFromUrl(undefined)).toBeNull();
    expect(diffLinkFromUrl(`${PUBLIC}/hub/user-redirect/lab/tree/runs/a.ipynb`)).toBeNull();
  });

  it('drops the diff parameters from a query string', () => {
    expect(
      withoutDiffQuery(
        '?scalelab-project=churn&scalelab-run=r2&scalelab-compare=r1&scalelab-step=s'
      )
    ).toBe('');
    expect(withoutDiffQuery('?reset&scalelab-run=r2')).toBe('?reset=');
    expect(withoutDiffQuery('')).toBe('');
    expect(withoutDiffQuery('?scalelab-project=churn&scalelab-view=monitors')).toBe('');
  });

  it('reads a link to a dashboard tab or a run, not to a diff', () => {
    expect(projectLinkFromSearch('?scalelab-project=churn&scalelab-view=monitors')).toEqual({
      project: 'churn',
      run: null,
      view: 'monitors'
    });
    expect(projectLinkFromSearch('?scalelab-project=churn&scalelab-run=r7')).toEqual({
      project: 'churn',
      run: 'r7',
      view: null
    });
    expect(
      projectLinkFromSearch(
        '?scalelab-project=churn&scalelab-run=r2&scalelab-compare=r1&scalelab-step=s'
      )
    ).toBeNull();
    expect(projectLinkFromSearch('?scalelab-project=churn')).toBeNull();
    expect(projectLinkFromSearch('?scalelab-view=monitors')).toBeNull();
  });

  it('puts the title first in the toast text', () => {
    expect(notificationText(notification(1, { title: 'T', message: ' m ' }))).toBe('T: m');
    expect(notificationText(notification(1, { title: 'T' }))).toBe('T');
  });
});
