import { type ISignal, Signal } from '@lumino/signaling';

import {
  type DeletedProject,
  type ProjectCreate,
  type ProjectModel,
  type ProjectUpdate,
  type ScaleLabClient,
  type UserModel
} from '../common/api';
import {
  mergePreferences,
  PROJECT_PREFERENCE,
  preferredProject,
  sortProjects
} from '../common/helpers';

/** The client calls the projects model makes. */
export type ProjectsClient = Pick<
  ScaleLabClient,
  | 'listProjects'
  | 'createProject'
  | 'updateProject'
  | 'archiveProject'
  | 'restoreProject'
  | 'deleteProject'
  | 'getPreferences'
  | 'setPreferences'
>;

/** What went wrong last: loading the projects, or remembering the current one. */
export interface ProjectsError {
  action: 'load' | 'remember';
  reason: unknown;
}

/**
 * My projects and the current one (remembered in the `project` user
 * preference); {@link changed} is emitted whenever any of it changes.
 */
export class ProjectsModel {
  constructor(client: ProjectsClient) {
    this._client = client;
  }

  /** Emitted whenever the projects, the current one, the user or the error change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when a project was deleted. */
  get deleted(): ISignal<this, DeletedProject> {
    return this._deleted;
  }

  /** Emitted when another project (or none) becomes current. */
  get currentChanged(): ISignal<this, ProjectModel | null> {
    return this._currentChanged;
  }

  /** My projects: active first, then by title. */
  get projects(): readonly ProjectModel[] {
    return this._projects;
  }

  /** Whether the projects were loaded once. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** The last error, cleared by a successful load. */
  get error(): ProjectsError | null {
    return this._error;
  }

  /** The signed-in user (hub admins may manage every project). */
  get user(): UserModel | null {
    return this._user;
  }
  set user(user: UserModel | null) {
    this._user = user;
    this._changed.emit();
  }

  /** The slug of the current project, if any. */
  get currentSlug(): string | null {
    return this._currentSlug;
  }

  /** The current project, if any. */
  get current(): ProjectModel | null {
    return this.find(this._currentSlug);
  }

  /** The project `slug` among mine, if any. */
  find(slug: string | null): ProjectModel | null {
    return slug === null ? null : (this._projects.find(p => p.slug === slug) ?? null);
  }

  /**
   * Reload my projects; the first time, also restore the current project
   * from the preferences. Only the newest reload counts.
   */
  async refresh(): Promise<void> {
    const id = ++this._refreshId;
    let projects: ProjectModel[];
    try {
      projects = sortProjects((await this._client.listProjects()).projects);
    } catch (reason) {
      if (id === this._refreshId) {
        this._loadFailed = true;
        this._error = { action: 'load', reason };
        this._changed.emit();
      }
      return;
    }
    if (!this._restored) {
      this._restored = true;
      try {
        const prefs = await this._client.getPreferences();
        this._currentSlug ??= preferredProject(prefs.preferences, projects);
      } catch (err) {
        console.warn('ScaleLab: could not load preferences', err);
      }
    }
    if (id !== this._refreshId) {
      return;
    }
    const before = this.current;
    this._error = null;
    this._loadFailed = false;
    this._projects = projects;
    this._loaded = true;
    if (this._currentSlug !== null && this.current === null) {
      this._currentSlug = null;
    }
    this._changed.emit();
    if (before?.slug !== this.current?.slug) {
      this._currentChanged.emit(this.current);
    }
  }

  /** Whether the last load failed before any succeeded (nothing to show). */
  get loadFailed(): boolean {
    return this._loadFailed;
  }

  /** Make `slug` the current project (if among mine, after a reload if need be). */
  async ensure(slug: string): Promise<boolean> {
    if (this.find(slug) === null) {
      await this.refresh();
    }
    return this.find(slug) !== null;
  }

  /** Make `slug` the current project and remember it in the preferences. */
  async select(slug: string | null): Promise<void> {
    if (slug === this._currentSlug) {
      return;
    }
    this._currentSlug = slug;
    this._changed.emit();
    this._currentChanged.emit(this.current);
    try {
      const current = await this._client.getPreferences();
      await this._client.setPreferences(
        mergePreferences(current.preferences, { [PROJECT_PREFERENCE]: slug ?? undefined })
      );
    } catch (reason) {
      this._error = { action: 'remember', reason };
      this._changed.emit();
    }
  }

  /** Create a project, reload and make it current; rejects on error. */
  async create(body: ProjectCreate): Promise<ProjectModel> {
    const project = await this._client.createProject(body);
    await this.refresh();
    await this.select(project.slug);
    return project;
  }

  /** Change a project (e.g. its title), then reload; rejects on error. */
  async update(slug: string, patch: ProjectUpdate): Promise<ProjectModel> {
    const updated = await this._client.updateProject(slug, patch);
    this._replace(updated);
    void this.refresh();
    return updated;
  }

  /** Archive or restore a project, then reload; rejects on error. */
  async setArchived(slug: string, archived: boolean): Promise<ProjectModel> {
    const updated = archived
      ? await this._client.archiveProject(slug)
      : await this._client.restoreProject(slug);
    this._replace(updated);
    void this.refresh();
    return updated;
  }

  /** Delete a project (no longer current), then reload; rejects on error. */
  async remove(slug: string): Promise<DeletedProject> {
    const deleted = await this._client.deleteProject(slug);
    this._deleted.emit(deleted);
    if (this._currentSlug === deleted.slug) {
      void this.select(null);
    }
    void this.refresh();
    return deleted;
  }

  private _replace(project: ProjectModel): void {
    if (this.find(project.slug) === null) {
      return;
    }
    this._projects = sortProjects(this._projects.map(p => (p.slug === project.slug ? project : p)));
    this._changed.emit();
  }

  private readonly _client: ProjectsClient;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _deleted = new Signal<this, DeletedProject>(this);
  private readonly _currentChanged = new Signal<this, ProjectModel | null>(this);
  private _projects: ProjectModel[] = [];
  private _currentSlug: string | null = null;
  private _user: UserModel | null = null;
  private _error: ProjectsError | null = null;
  private _loaded = false;
  private _loadFailed = false;
  private _restored = false;
  private _refreshId = 0;
}
