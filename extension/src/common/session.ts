import { type ISignal, Signal } from '@lumino/signaling';

import { type HealthModel, type ScaleLabClient, type UserModel } from './api';

/**
 * Who is signed in and how the service is: fetched by {@link refresh},
 * announced by {@link changed}.
 */
export class SessionModel {
  constructor(client: Pick<ScaleLabClient, 'me' | 'health'>) {
    this._client = client;
  }

  /** Emitted whenever the state changes (also when a load starts). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether a load is under way. */
  get loading(): boolean {
    return this._loading !== null;
  }

  get user(): UserModel | null {
    return this._user;
  }

  get health(): HealthModel | null {
    return this._health;
  }

  /** Why the user could not be loaded (last load), if it could not. */
  get userError(): unknown {
    return this._userError;
  }

  /** Why the health could not be loaded (last load), if it could not. */
  get healthError(): unknown {
    return this._healthError;
  }

  /** Reload the user and the health; joins a load under way. */
  refresh(): Promise<void> {
    if (this._loading) {
      return this._loading;
    }
    this._loading = this._load().finally(() => {
      this._loading = null;
      this._changed.emit();
    });
    this._changed.emit();
    return this._loading;
  }

  private async _load(): Promise<void> {
    const [user, health] = await Promise.allSettled([this._client.me(), this._client.health()]);
    if (user.status === 'fulfilled') {
      this._user = user.value;
      this._userError = null;
    } else {
      this._user = null;
      this._userError = user.reason ?? new Error('unknown error');
    }
    if (health.status === 'fulfilled') {
      this._health = health.value;
      this._healthError = null;
    } else {
      this._health = null;
      this._healthError = health.reason ?? new Error('unknown error');
    }
  }

  private readonly _client: Pick<ScaleLabClient, 'me' | 'health'>;
  private readonly _changed = new Signal<this, void>(this);
  private _loading: Promise<void> | null = null;
  private _user: UserModel | null = null;
  private _health: HealthModel | null = null;
  private _userError: unknown = null;
  private _healthError: unknown = null;
}
