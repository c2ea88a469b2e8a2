import { vi } from 'vitest';

import { type FetchFunction, ScaleLabClient } from '../src/common/api';

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

/**
 * A client whose fetch asks `answer` (method and path below {@link BASE},
 * query included); unknown requests get a 404.
 */
export function routed(
  answer: (method: string, path: string, body: unknown) => Response | Promise<Response> | undefined
) {
  const fetch = vi.fn<FetchFunction>(async (url, init) => {
    const path = String(url).slice(BASE.length);
    const raw = init?.body;
    const body = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
    return (
      (await answer(init?.method ?? 'GET', path, body)) ??
      jsonResponse({ detail: 'not found' }, 404)
    );
  });
  const client = new ScaleLabClient({ baseUrl: BASE, fetch });
  /** `METHOD path` of each request so far. */
  const requests = () =>
    fetch.mock.calls.map(([url, init]) => `${init?.method ?? 'GET'} ${String(url).slice(BASE.length)}`);
  return { client, fetch, requests };
}
