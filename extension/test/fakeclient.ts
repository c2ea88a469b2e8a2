import { vi } from 'vitest';

import { type FetchFunction, ScaleLabClient } from '../src/api';

export const BASE = '/user/alice/scalelab/';

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

/** A client whose fetch always answers `response`, plus the fetch spy. */
export function setup(response: () => Response) {
  const fetch = vi.fn<FetchFunction>(async () => response());
  const client = new ScaleLabClient({ baseUrl: BASE, fetch });
  /** URL, method and parsed JSON body of call `n`. */
  const call = (n = 0) => {
    const [url, init] = fetch.mock.calls[n];
    const body = init?.body;
    return {
      url,
      method: init?.method ?? 'GET',
      body: typeof body === 'string' ? (JSON.parse(body) as unknown) : body,
      headers: new Headers(init?.headers)
    };
  };
  return { client, fetch, call };
}
