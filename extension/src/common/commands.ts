/**
 * The ids of the ScaleLab commands, and the arguments of those that other
 * features (and other extensions) execute.
 */

/** Command ids. */
export const CommandIDs = {
  /** Run the selected or current notebook, asking for its parameters. */
  runWithParameters: 'scalelab:run-with-parameters',
  /** Run the selected pipeline .yaml file, asking for its parameters. */
  runPipeline: 'scalelab:run-pipeline',
  /** Schedule the selected or current notebook or pipeline. */
  schedule: 'scalelab:schedule',
  /** Schedule `target` of `project` with `parameters` (e.g. of a finished run). */
  scheduleRun: 'scalelab:schedule-run',
  /** Open an output notebook (`path`, a lab path) read-only. */
  openOutput: 'scalelab:open-output',
  /** Diff `step` between runs `compare` and `run` of `project` in a main-area tab. */
  compareRuns: 'scalelab:compare-runs',
  /** Show run `run` (an id) of `project` in the Runs tab of its dashboard. */
  openRun: 'scalelab:open-run',
  /** Open the workspace of `project` (a slug) in the file browser. */
  openProject: 'scalelab:open-project',
  /** Open the dashboard of project `slug` in the main area, at `tab` if given. */
  openProjectDashboard: 'scalelab:open-project-dashboard',
  /** Open the experiments (MLflow UI) of project `slug` in a new browser tab. */
  openExperiments: 'scalelab:open-experiments',
  /** Register the model logged by run `run` of `project` (asks for name and aliases). */
  registerModel: 'scalelab:register-model',
  /** Create an endpoint in `project` serving `model_uri` (asks for its name and replicas). */
  deployModel: 'scalelab:deploy-model'
} as const;

/** Arguments of {@link CommandIDs.openProjectDashboard}. */
export interface OpenProjectDashboardArgs {
  slug: string;
  /**
   * `overview`, `runs`, `schedules`, `models`, `deployments`, `monitors`,
   * `members` or `audit`; default: as left.
   */
  tab?: string;
}

/** Arguments of {@link CommandIDs.openExperiments}. */
export interface OpenExperimentsArgs {
  slug: string;
}

/** Arguments of {@link CommandIDs.registerModel}. */
export interface RegisterModelArgs {
  project: string;
  /** The ScaleLab run id (the service finds its MLflow run). */
  run: string;
  /** The run's notebook or pipeline, shown in the dialog. */
  target?: string;
}

/** Arguments of {@link CommandIDs.deployModel}. */
export interface DeployModelArgs {
  project: string;
  /** What to serve first, e.g. `models:/churn/3`; the dialog starts with it. */
  model_uri?: string;
  /** The endpoint's name; the dialog starts with it. */
  name?: string;
}

/** Arguments of {@link CommandIDs.compareRuns}. */
export interface CompareRunsArgs {
  project: string;
  /** The newer run. */
  run: string;
  /** The run to compare with. */
  compare: string;
  step: string;
  /** Tab title; default `Diff <step>: <compare> → <run>`. */
  title?: string;
  /** Show an error dialog on failure (default); `false`: reject instead. */
  reportErrors?: boolean;
}
