import { describe, expect, it, vi } from 'vitest';

import {
  type FetchFunction,
  type HealthModel,
  ScaleLabAPIError,
  ScaleLabClient,
  type UserModel
} from '../../src/common/api';

const BASE = '/user/alice/scalelab/';

function jsonResponse(body: unknown, status = 200, statusText = 'OK'): Response {
  return new Response(JSON.stringify(body), {
    status,
    statusText,
    headers: { 'Content-Type': 'application/json' }
  });
}

function fakeFetch(response: Response) {
  return vi.fn<FetchFunction>(async () => response);
}

describe('ScaleLabClient', () => {
  it('me() calls api/me with a JSON Accept header and parses the user', async () => {
    const user: UserModel = {
      name: 'alice',
      admin: true,
      kind: 'user',
      groups: ['analysts']
    };
    const fetch = fakeFetch(jsonResponse(user));
    const client = new ScaleLabClient({ baseUrl: BASE, fetch });

    await expect(client.me()).resolves.toEqual(user);

    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/user/alice/scalelab/api/me');
    expect(new Headers(init?.headers).get('Accept')).toBe('application/json');
  });

  it('adds the trailing slash to baseUrl when missing', async () => {
    const fetch = fakeFetch(
      jsonResponse({ name: 'svc', admin: false, kind: 'service', groups: [] })
    );
    const client = new ScaleLabClient({ baseUrl: '/scalelab', fetch });
    await client.me();
    expect(fetch.mock.calls[0][0]).toBe('/scalelab/api/me');
  });

  it('health() calls api/health and parses the model', async () => {
    const health: HealthModel = {
      status: 'degraded',
      version: '0.1.0',
      database: { ok: false, backend: 'sqlite', error: 'locked' }
    };
    const fetch = fakeFetch(jsonResponse(health));
    const client = new ScaleLabClient({ baseUrl: BASE, fetch });

    await expect(client.health()).resolves.toEqual(health);
    expect(fetch.mock.calls[0][0]).toBe('/user/alice/scalelab/api/health');
  });

  it('throws ScaleLabAPIError from a JSON ErrorModel body', async () => {
    const fetch = fakeFetch(
      jsonResponse(
        { status: 403, message: 'Not allowed', request_id: 'req-42' },
        403,
        'Forbidden'
      )
    );
    const client = new ScaleLabClient({ baseUrl: BASE, fetch });

    const err = await client.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect(err).toBeInstanceOf(Error);
    const apiErr = err as ScaleLabAPIError;
    expect(apiErr.status).toBe(403);
    expect(apiErr.message).toBe('Not allowed');
    expect(apiErr.requestId).toBe('req-42');
  });

  it('falls back to statusText when the error body is not JSON', async () => {
    const fetch = fakeFetch(
      new Response('<html>Bad Gateway</html>', {
        status: 502,
        statusText: 'Bad Gateway',
        headers: { 'Content-Type': 'text/html' }
      })
    );
    const client = new ScaleLabClient({ baseUrl: BASE, fetch });

    const err = await client.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    const apiErr = err as ScaleLabAPIError;
    expect(apiErr.status).toBe(502);
    expect(apiErr.message).toBe('Bad Gateway');
    expect(apiErr.requestId).toBeUndefined();
  });
});
