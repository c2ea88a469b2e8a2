/**
 * Typed client for the ScaleLab REST API.
 *
 * This module deliberately has no JupyterLab imports so it can be unit-tested
 * in plain Node with a fake `fetch`.
 */

/** The signed-in user, as returned by `GET api/me`. */
export interface UserModel {
  name: string;
  admin: boolean;
  kind: 'user' | 'service';
  groups: string[];
}

/** Service health, as returned by `GET api/health`. */
export interface HealthModel {
  status: 'ok' | 'degraded';
  version: string;
  database: {
    ok: boolean;
    backend: string;
    error?: string | null;
  };
}

/** The JSON body of any ScaleLab error response. */
export interface ErrorModel {
  status: number;
  message: string;
  request_id?: string;
}

/** A `fetch`-compatible function. */
export type FetchFunction = (
  url: string,
  init?: RequestInit
) => Promise<Response>;

/** Options for {@link ScaleLabClient}. */
export interface ScaleLabClientOptions {
  /**
   * URL prefix up to and including `scalelab/`,
   * e.g. `/user/alice/scalelab/`.
   */
  baseUrl: string;
  /** The fetch implementation; defaults to the global `fetch`. */
  fetch?: FetchFunction;
}

/** Error thrown for any non-2xx response from the ScaleLab API. */
export class ScaleLabAPIError extends Error {
  readonly status: number;
  readonly requestId?: string;

  constructor(status: number, message: string, requestId?: string) {
    super(message);
    this.name = 'ScaleLabAPIError';
    this.status = status;
    if (requestId !== undefined) {
      this.requestId = requestId;
    }
    // Keep `instanceof` working when compiled to older targets.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

function isErrorModel(value: unknown): value is ErrorModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** A small typed client for the ScaleLab REST API. */
export class ScaleLabClient {
  readonly baseUrl: string;
  private readonly _fetch: FetchFunction;

  constructor(options: ScaleLabClientOptions) {
    this.baseUrl = options.baseUrl.endsWith('/')
      ? options.baseUrl
      : `${options.baseUrl}/`;
    this._fetch =
      options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  /** The signed-in user. */
  me(): Promise<UserModel> {
    return this.request<UserModel>('api/me');
  }

  /** The service health. */
  health(): Promise<HealthModel> {
    return this.request<HealthModel>('api/health');
  }

  /**
   * Send a request to `baseUrl + path` and parse the JSON response.
   *
   * Throws {@link ScaleLabAPIError} for non-2xx responses.
   */
  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const url = this.baseUrl + path.replace(/^\/+/, '');
    const headers = new Headers(init?.headers);
    if (!headers.has('Accept')) {
      headers.set('Accept', 'application/json');
    }
    if (init?.body !== undefined && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
    const response = await this._fetch(url, { ...init, headers });
    if (!response.ok) {
      throw await ScaleLabClient._toError(response);
    }
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }

  private static async _toError(response: Response): Promise<ScaleLabAPIError> {
    const fallback = response.statusText || `HTTP ${response.status}`;
    let text = '';
    try {
      text = await response.text();
    } catch {
      // Unreadable body: use the status text.
    }
    try {
      const body: unknown = JSON.parse(text);
      if (isErrorModel(body)) {
        return new ScaleLabAPIError(
          typeof body.status === 'number' ? body.status : response.status,
          body.message,
          typeof body.request_id === 'string' ? body.request_id : undefined
        );
      }
    } catch {
      // Not JSON: use the status text.
    }
    return new ScaleLabAPIError(response.status, fallback);
  }
}
