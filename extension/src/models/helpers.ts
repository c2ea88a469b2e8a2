/**
 * Pure helpers for the model registry: who may change it, orders, the
 * "Register model" form.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import {
  type ModelRegistration,
  type ModelVersionModel,
  type ProjectModel,
  type RegisteredModelModel,
  roleAtLeast,
  type UserModel
} from '../common/api';
import { plainTrans, type TranslationBundle } from '../common/trans';

/** The aliases offered by name (any other may be typed). */
export const MODEL_ALIASES: readonly string[] = ['champion', 'challenger'];

/** Where a run logs its model unless told otherwise (as the service's default). */
export const DEFAULT_ARTIFACT_PATH = 'model';

/** Whether the caller may register models and move aliases: deployer or more, or a hub admin. */
export function canDeploy(
  project: Pick<ProjectModel, 'my_role'> | null | undefined,
  user: Pick<UserModel, 'admin'> | null | undefined
): boolean {
  return user?.admin === true || roleAtLeast(project?.my_role, 'deployer');
}

/** A version number for ordering; non-numbers last. */
function versionNumber(version: string): number {
  const n = Number(version);
  return Number.isFinite(n) ? n : -Infinity;
}

/** Newest version first (returns a copy). */
export function sortVersions<T extends Pick<ModelVersionModel, 'version'>>(
  versions: readonly T[]
): T[] {
  return [...versions].sort(
    (a, b) =>
      versionNumber(b.version) - versionNumber(a.version) ||
      (a.version < b.version ? 1 : a.version > b.version ? -1 : 0)
  );
}

/** Models by name, each with its versions newest first (returns copies). */
export function sortModels(models: readonly RegisteredModelModel[]): RegisteredModelModel[] {
  return [...models]
    .map(model => ({ ...model, versions: sortVersions(model.versions) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Replace the model with the same name, or add it (by name). */
export function upsertModel(
  models: readonly RegisteredModelModel[],
  model: RegisteredModelModel
): RegisteredModelModel[] {
  return sortModels([...models.filter(m => m.name !== model.name), model]);
}

/** `champion, challenger` -> `['champion', 'challenger']`: trimmed, no empties, no repeats. */
export function parseAliases(text: string): string[] {
  const aliases: string[] = [];
  for (const part of text.split(',')) {
    const alias = part.trim();
    if (alias && !aliases.includes(alias)) {
      aliases.push(alias);
    }
  }
  return aliases;
}

/** The "Register model" form as typed. */
export interface RegisterFormRaw {
  name: string;
  artifactPath: string;
  /** The offered aliases that are checked. */
  checked: readonly string[];
  /** Other aliases, a comma list. */
  other: string;
}

/** The form's first values: the project's slug as the name, `model` as the path. */
export function newRegisterRaw(slug: string): RegisterFormRaw {
  return { name: slug, artifactPath: DEFAULT_ARTIFACT_PATH, checked: [], other: '' };
}

/**
 * The body of `POST api/projects/{slug}/models` for run `runId`, or why
 * the form cannot be sent.
 */
export function readRegisterForm(
  raw: RegisterFormRaw,
  runId: string,
  trans: TranslationBundle = plainTrans
): { value: ModelRegistration | null; error: string | null } {
  const name = raw.name.trim();
  if (!name) {
    return { value: null, error: trans.__('Enter the name of the model.') };
  }
  const artifactPath = raw.artifactPath.trim().replace(/^\/+|\/+$/g, '');
  if (!artifactPath) {
    return {
      value: null,
      error: trans.__('Enter the path of the model in the run (e.g. %1).', DEFAULT_ARTIFACT_PATH)
    };
  }
  const aliases = parseAliases([...raw.checked, raw.other].join(','));
  const value: ModelRegistration = { run_id: runId, name, artifact_path: artifactPath };
  if (aliases.length) {
    value.aliases = aliases;
  }
  return { value, error: null };
}
