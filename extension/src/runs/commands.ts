import { type JupyterFrontEnd } from '@jupyterlab/application';
import {
  type ICommandPalette,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { type IEditorServices } from '@jupyterlab/codeeditor';
import { type IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import {
  type IRenderMimeRegistry,
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import { type ITranslator } from '@jupyterlab/translation';
import { type Widget } from '@lumino/widgets';

import { type NotebookDiff, type ParametersModel, type RunModel, type ScaleLabClient } from '../common/api';
import { CommandIDs, type CompareRunsArgs } from '../common/commands';
import { errorMessage } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { type ScaleLabPanel } from '../panel';
import type { RunDiffView } from './diffwidget';
import { askRunOptions } from './form';
import { diffTitle } from '../notifications/helpers';
import { openScheduleDialog } from '../schedules/form';
import { type RunnableKind, runnableKind, splitProjectPath } from './helpers';

export { CommandIDs } from '../common/commands';

/** Command arguments (a `ReadonlyPartialJSONObject`). */
type CommandArgs = { readonly [key: string]: unknown };

/** Every runnable kind. */
const ALL_KINDS: readonly RunnableKind[] = ['notebook', 'pipeline'];

/** File browser items of each runnable kind (see `data-file-type`). */
export const FILE_SELECTORS: Record<RunnableKind, string> = {
  notebook: '.jp-DirListing-item[data-file-type="notebook"]',
  pipeline: '.jp-DirListing-item[data-file-type="yaml"]'
};

/** The message shown when the file is not inside a project. */
export function outsideProjectMessage(
  kind: RunnableKind,
  trans: TranslationBundle = plainTrans
): string {
  return kind === 'pipeline'
    ? trans.__('Runs need a pipeline inside a project (projects/<slug>/…)')
    : trans.__('Runs need a notebook inside a project (projects/<slug>/…)');
}

/** A document widget's context, as far as we need it (no notebook import). */
export interface DocumentContextLike {
  path: string;
  model?: { dirty?: boolean };
  save?: () => Promise<void>;
}

export function documentContext(widget: Widget | null): DocumentContextLike | null {
  const context = (widget as { context?: unknown } | null)?.context;
  if (
    typeof context === 'object' &&
    context !== null &&
    typeof (context as { path?: unknown }).path === 'string'
  ) {
    return context as DocumentContextLike;
  }
  return null;
}

/** Options for {@link addRunCommands}. */
export interface RunCommandsOptions {
  app: JupyterFrontEnd;
  client: ScaleLabClient;
  panel: ScaleLabPanel;
  browser: IDefaultFileBrowser | null;
  palette: ICommandPalette | null;
  /** Renders the outputs in diffs; a registry of the standard renderers without. */
  rendermime?: IRenderMimeRegistry | null;
  /** The editors of the sources in diffs; nbdime's CodeMirror ones without. */
  editorServices?: IEditorServices | null;
  translator?: ITranslator | null;
  trans?: TranslationBundle;
}

/** Where a command takes its file from. */
export interface Target {
  path: string;
  /** The open document, when the file came from the current widget. */
  context: DocumentContextLike | null;
}

/**
 * Register the run commands: `scalelab:run-with-parameters` (notebooks),
 * `scalelab:run-pipeline` (pipeline .yaml files) and `scalelab:schedule`
 * (either), in the file browser's context menu and the command palette;
 * and the commands other features execute: `scalelab:schedule-run`,
 * `scalelab:open-output`, `scalelab:compare-runs`, `scalelab:open-run`.
 *
 * From the context menu (`args.source === 'filebrowser'`) the first three
 * run the selected file; otherwise `args.path`, the current document, or
 * the file selected in the file browser.
 */
export function addRunCommands(options: RunCommandsOptions): void {
  const { app, client, panel, browser, palette } = options;
  const trans = options.trans ?? plainTrans;

  const fits = (path: string, kinds: readonly RunnableKind[]): boolean => {
    const kind = runnableKind(path);
    return kind !== null && kinds.includes(kind);
  };

  const selectedPaths = (kinds: readonly RunnableKind[]): string[] => {
    if (!browser) {
      return [];
    }
    return Array.from(browser.selectedItems())
      .filter(item => item.type !== 'directory' && fits(item.path, kinds))
      .map(item => item.path);
  };

  const findTarget = (kinds: readonly RunnableKind[], args: CommandArgs): Target | null => {
    const fromBrowser = (): Target | null => {
      const paths = selectedPaths(kinds);
      return paths.length === 1 ? { path: paths[0], context: null } : null;
    };
    if (args.source === 'filebrowser') {
      return fromBrowser();
    }
    if (typeof args.path === 'string' && args.path) {
      return { path: args.path, context: null };
    }
    const context = documentContext(app.shell.currentWidget);
    if (context && fits(context.path, kinds)) {
      return { path: context.path, context };
    }
    return fromBrowser();
  };

  const saveIfDirty = async (target: Target): Promise<void> => {
    if (target.context?.model?.dirty && target.context.save) {
      try {
        await target.context.save();
      } catch (err) {
        console.warn('ScaleLab: could not save before running', err);
      }
    }
  };

  /**
   * Show a dialog; `null` when it was cancelled or failed. An error is shown
   * under `title`, unless the dialog was rejected without one.
   */
  const ask = async <T>(title: string, open: () => Promise<T | null>): Promise<T | null> => {
    try {
      return await open();
    } catch (err) {
      if (err !== undefined) {
        await showErrorMessage(title, errorMessage(err));
      }
      return null;
    }
  };

  const run = async (kind: RunnableKind, args: CommandArgs): Promise<void> => {
    const title = kind === 'notebook' ? trans.__('Run with parameters') : trans.__('Run pipeline');
    const target = findTarget([kind], args);
    if (target === null) {
      await showErrorMessage(
        title,
        kind === 'notebook'
          ? trans.__('Select a notebook in the file browser or open one.')
          : trans.__('Select a pipeline .yaml file in the file browser.')
      );
      return;
    }
    const where = splitProjectPath(target.path);
    if (where === null) {
      await showErrorMessage(title, outsideProjectMessage(kind, trans));
      return;
    }
    await saveIfDirty(target);
    let model: ParametersModel;
    try {
      model = await client.getParameters(where.slug, where.relative);
    } catch (err) {
      await showErrorMessage(
        trans.__('Could not read the parameters of %1', where.relative),
        errorMessage(err)
      );
      return;
    }
    const value = await ask(title, () =>
      askRunOptions(
        model,
        model.kind === 'pipeline'
          ? trans.__('Run pipeline %1', where.relative)
          : trans.__('Run %1', where.relative),
        trans
      )
    );
    if (value === null) {
      return;
    }
    let started: RunModel;
    try {
      started = await client.startRun(where.slug, {
        target: where.relative,
        parameters: value.parameters,
        fresh: value.fresh
      });
    } catch (err) {
      await showErrorMessage(trans.__('Could not start %1', where.relative), errorMessage(err));
      return;
    }
    app.shell.activateById(panel.id);
    await panel.showRun(where.slug, started);
  };

  /** The schedule dialog for `target` of project `slug`; then the schedule in the panel. */
  const openSchedule = async (
    slug: string,
    target: string,
    values?: Record<string, unknown>
  ): Promise<void> => {
    const saved = await ask(trans.__('Schedule'), () =>
      openScheduleDialog(client, { slug, target, values }, trans)
    );
    if (saved === null) {
      return;
    }
    app.shell.activateById(panel.id);
    await panel.showSchedule(slug, saved);
  };

  const schedule = async (args: CommandArgs): Promise<void> => {
    const title = trans.__('Schedule');
    const target = findTarget(ALL_KINDS, args);
    if (target === null) {
      await showErrorMessage(
        title,
        trans.__(
          'Select a notebook or a pipeline .yaml file in the file browser, or open a notebook.'
        )
      );
      return;
    }
    const where = splitProjectPath(target.path);
    if (where === null) {
      await showErrorMessage(
        title,
        trans.__('Schedules need a notebook or pipeline inside a project (projects/<slug>/…)')
      );
      return;
    }
    await saveIfDirty(target);
    await openSchedule(where.slug, where.relative);
  };

  const isEnabled = (kinds: readonly RunnableKind[], args: CommandArgs): boolean =>
    args.source !== 'filebrowser' || selectedPaths(kinds).length === 1;

  app.commands.addCommand(CommandIDs.runWithParameters, {
    label: trans.__('Run with parameters…'),
    caption: trans.__('Run this notebook with ScaleLab, choosing its parameters'),
    isEnabled: args => isEnabled(['notebook'], args),
    execute: args => run('notebook', args)
  });
  app.commands.addCommand(CommandIDs.runPipeline, {
    label: trans.__('Run pipeline…'),
    caption: trans.__('Run this pipeline with ScaleLab, choosing its parameters'),
    isEnabled: args => isEnabled(['pipeline'], args),
    execute: args => run('pipeline', args)
  });
  app.commands.addCommand(CommandIDs.schedule, {
    label: trans.__('Schedule…'),
    caption: trans.__('Run this notebook or pipeline with ScaleLab on a schedule (cron)'),
    isEnabled: args => isEnabled(ALL_KINDS, args),
    execute: args => schedule(args)
  });
  app.commands.addCommand(CommandIDs.scheduleRun, {
    label: trans.__('Schedule…'),
    caption: trans.__('Run a target of a project on a schedule, with given parameters'),
    execute: async args => {
      const { project, target, parameters } = args as CommandArgs;
      if (typeof project !== 'string' || typeof target !== 'string') {
        throw new Error('scalelab:schedule-run needs a project and a target');
      }
      const values =
        typeof parameters === 'object' && parameters !== null
          ? (parameters as Record<string, unknown>)
          : undefined;
      try {
        const saved = await openScheduleDialog(client, { slug: project, target, values }, trans);
        if (saved) {
          app.shell.activateById(panel.id);
          await panel.showSchedule(project, saved);
        }
      } catch (err) {
        panel.projects.showError(
          trans.__('Could not schedule %1: %2', target, errorMessage(err))
        );
      }
    }
  });

  app.commands.addCommand(CommandIDs.openOutput, {
    label: trans.__('Open output'),
    caption: trans.__('Open an output notebook of a run'),
    execute: args => {
      if (typeof args.path !== 'string' || !args.path) {
        throw new Error('scalelab:open-output needs a path');
      }
      return app.commands.execute('docmanager:open', { path: args.path });
    }
  });

  const showDiff = createShowDiff(app, {
    rendermime: options.rendermime ?? null,
    editorServices: options.editorServices ?? null,
    translator: options.translator ?? null,
    trans
  });
  app.commands.addCommand(CommandIDs.compareRuns, {
    label: trans.__('Compare runs'),
    caption: trans.__('Diff a step of two runs'),
    execute: async args => {
      const { project, run, compare, step, title, reportErrors } =
        args as Partial<CompareRunsArgs>;
      if (
        typeof project !== 'string' ||
        typeof run !== 'string' ||
        typeof compare !== 'string' ||
        typeof step !== 'string'
      ) {
        throw new Error('scalelab:compare-runs needs project, run, compare and step');
      }
      const link = { project, run, compare, step };
      try {
        const diff = await client.diffRuns(project, run, compare, step);
        await showDiff(diff, typeof title === 'string' && title ? title : diffTitle(link, trans));
      } catch (err) {
        if (reportErrors === false) {
          throw err;
        }
        await showErrorMessage(
          trans.__('Could not compare %1 of runs %2 and %3', step, compare, run),
          errorMessage(err)
        );
      }
    }
  });

  app.commands.addCommand(CommandIDs.openRun, {
    label: trans.__('Show run'),
    caption: trans.__("Show a run in the ScaleLab panel's Runs view"),
    execute: async args => {
      const { project, run } = args;
      if (typeof project !== 'string' || typeof run !== 'string') {
        throw new Error('scalelab:open-run needs a project and a run');
      }
      try {
        const model = await client.getRun(project, run);
        app.shell.activateById(panel.id);
        await panel.showRun(project, model);
      } catch (err) {
        panel.projects.showError(trans.__('Could not show run %1: %2', run, errorMessage(err)));
      }
    }
  });

  app.contextMenu.addItem({
    command: CommandIDs.runWithParameters,
    selector: FILE_SELECTORS.notebook,
    args: { source: 'filebrowser' },
    rank: 3
  });
  app.contextMenu.addItem({
    command: CommandIDs.runPipeline,
    selector: FILE_SELECTORS.pipeline,
    args: { source: 'filebrowser' },
    rank: 3
  });
  for (const selector of Object.values(FILE_SELECTORS)) {
    app.contextMenu.addItem({
      command: CommandIDs.schedule,
      selector,
      args: { source: 'filebrowser' },
      rank: 3.5
    });
  }
  if (palette) {
    for (const command of [
      CommandIDs.runWithParameters,
      CommandIDs.runPipeline,
      CommandIDs.schedule
    ]) {
      palette.addItem({ command, category: trans.__('ScaleLab') });
    }
  }
}

/** Shows a diff of a step between two runs; resolves once it is rendered. */
export type ShowDiff = (diff: NotebookDiff, title: string) => Promise<void>;

/** What {@link createShowDiff} renders diffs with. */
export interface ShowDiffOptions {
  rendermime: IRenderMimeRegistry | null;
  editorServices: IEditorServices | null;
  translator: ITranslator | null;
  trans: TranslationBundle;
}

/**
 * A {@link ShowDiff}: the diff, rendered by nbdime, in a main-area tab (one
 * per pair of runs and step, reused when shown again).
 */
export function createShowDiff(app: JupyterFrontEnd, options: ShowDiffOptions): ShowDiff {
  const widgets = new Map<string, MainAreaWidget<RunDiffView>>();
  let count = 0;
  let rendermime = options.rendermime;
  const factoryService = options.editorServices?.factoryService;
  const editorFactory = factoryService?.newInlineEditor.bind(factoryService);
  return async (diff: NotebookDiff, title: string): Promise<void> => {
    // nbdime's widgets load with the first diff, not with the lab.
    const { RunDiffView } = await import('./diffwidget');
    const key = JSON.stringify([diff.base, diff.remote, diff.step]);
    let widget = widgets.get(key);
    if (!widget || widget.isDisposed) {
      rendermime ??= new RenderMimeRegistry({ initialFactories: standardRendererFactories });
      const content = new RunDiffView({
        rendermime,
        editorFactory,
        translator: options.translator ?? undefined,
        trans: options.trans
      });
      content.node.dataset.testid = 'scalelab-diff';
      widget = new MainAreaWidget({ content });
      widget.id = `scalelab-diff-${Date.now().toString(36)}-${++count}`;
      widget.title.closable = true;
      widgets.set(key, widget);
      const created = widget;
      created.disposed.connect(() => {
        if (widgets.get(key) === created) {
          widgets.delete(key);
        }
      });
    }
    widget.title.label = title;
    widget.title.caption = title;
    if (!widget.isAttached) {
      app.shell.add(widget, 'main');
    }
    app.shell.activateById(widget.id);
    await widget.content.setDiff(diff);
  };
}
