import { type JupyterFrontEnd } from '@jupyterlab/application';
import {
  type ICommandPalette,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { type IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { Widget } from '@lumino/widgets';

import { type NotebookDiff, type ParametersModel, type ScaleLabClient } from './api';
import { renderNotebookDiff } from './diffview';
import { errorMessage } from './helpers';
import { type DiffLink, diffTitle } from './notifyhelpers';
import { type ScaleLabPanel } from './panel';
import { askRunOptions } from './runform';
import { type ShowDiff } from './runs';
import { type RunnableKind, runnableKind, splitProjectPath } from './runhelpers';
import { openScheduleDialog } from './scheduleform';

/** Command arguments (a `ReadonlyPartialJSONObject`). */
type CommandArgs = { readonly [key: string]: unknown };

/** The ids of the run commands. */
export const CommandIDs = {
  runWithParameters: 'scalelab:run-with-parameters',
  runPipeline: 'scalelab:run-pipeline',
  schedule: 'scalelab:schedule'
} as const;

/** Every runnable kind. */
const ALL_KINDS: readonly RunnableKind[] = ['notebook', 'pipeline'];

/** File browser items of each runnable kind (see `data-file-type`). */
export const FILE_SELECTORS: Record<RunnableKind, string> = {
  notebook: '.jp-DirListing-item[data-file-type="notebook"]',
  pipeline: '.jp-DirListing-item[data-file-type="yaml"]'
};

/** The message shown when the file is not inside a project. */
export function outsideProjectMessage(kind: RunnableKind): string {
  return `Runs need a ${kind} inside a project (projects/<slug>/…)`;
}

/** The message shown when a file to schedule is not inside a project. */
export const SCHEDULE_OUTSIDE_PROJECT =
  'Schedules need a notebook or pipeline inside a project (projects/<slug>/…)';

/** A document widget's context, as far as we need it (no notebook import). */
interface DocumentContextLike {
  path: string;
  model?: { dirty?: boolean };
  save?: () => Promise<void>;
}

function documentContext(widget: Widget | null): DocumentContextLike | null {
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
}

/** Where a command takes its file from. */
interface Target {
  path: string;
  /** The open document, when the file came from the current widget. */
  context: DocumentContextLike | null;
}

/**
 * Register `scalelab:run-with-parameters` (notebooks),
 * `scalelab:run-pipeline` (pipeline .yaml files) and `scalelab:schedule`
 * (either), in the file browser's context menu and the command palette.
 *
 * From the context menu (`args.source === 'filebrowser'`) they run the
 * selected file; otherwise `args.path`, the current document, or the file
 * selected in the file browser.
 */
export function addRunCommands(options: RunCommandsOptions): void {
  const { app, client, panel, browser, palette } = options;

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

  const findTarget = (
    kinds: readonly RunnableKind[],
    args: CommandArgs
  ): Target | null => {
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

  const run = async (
    kind: RunnableKind,
    args: CommandArgs
  ): Promise<void> => {
    const title = kind === 'notebook' ? 'Run with parameters' : 'Run pipeline';
    const target = findTarget([kind], args);
    if (target === null) {
      await showErrorMessage(
        title,
        kind === 'notebook'
          ? 'Select a notebook in the file browser or open one.'
          : 'Select a pipeline .yaml file in the file browser.'
      );
      return;
    }
    const where = splitProjectPath(target.path);
    if (where === null) {
      await showErrorMessage(title, outsideProjectMessage(kind));
      return;
    }
    await saveIfDirty(target);
    let model: ParametersModel;
    try {
      model = await client.getParameters(where.slug, where.relative);
    } catch (err) {
      await showErrorMessage(
        `Could not read the parameters of ${where.relative}`,
        errorMessage(err)
      );
      return;
    }
    const value = await ask(title, () =>
      askRunOptions(
        model,
        model.kind === 'pipeline'
          ? `Run pipeline ${where.relative}`
          : `Run ${where.relative}`
      )
    );
    if (value === null) {
      return;
    }
    let started;
    try {
      started = await client.startRun(where.slug, {
        target: where.relative,
        parameters: value.parameters,
        fresh: value.fresh
      });
    } catch (err) {
      await showErrorMessage(
        `Could not start ${where.relative}`,
        errorMessage(err)
      );
      return;
    }
    app.shell.activateById(panel.id);
    await panel.showRun(where.slug, started);
  };

  const schedule = async (args: CommandArgs): Promise<void> => {
    const title = 'Schedule';
    const target = findTarget(ALL_KINDS, args);
    if (target === null) {
      await showErrorMessage(
        title,
        'Select a notebook or a pipeline .yaml file in the file browser, or open a notebook.'
      );
      return;
    }
    const where = splitProjectPath(target.path);
    if (where === null) {
      await showErrorMessage(title, SCHEDULE_OUTSIDE_PROJECT);
      return;
    }
    await saveIfDirty(target);
    const saved = await ask(title, () =>
      openScheduleDialog(client, { slug: where.slug, target: where.relative })
    );
    if (saved === null) {
      return;
    }
    app.shell.activateById(panel.id);
    await panel.showSchedule(where.slug, saved);
  };

  const isEnabled = (kinds: readonly RunnableKind[], args: CommandArgs): boolean =>
    args.source !== 'filebrowser' || selectedPaths(kinds).length === 1;

  app.commands.addCommand(CommandIDs.runWithParameters, {
    label: 'Run with parameters…',
    caption: 'Run this notebook with ScaleLab, choosing its parameters',
    isEnabled: args => isEnabled(['notebook'], args),
    execute: args => run('notebook', args)
  });
  app.commands.addCommand(CommandIDs.runPipeline, {
    label: 'Run pipeline…',
    caption: 'Run this pipeline with ScaleLab, choosing its parameters',
    isEnabled: args => isEnabled(['pipeline'], args),
    execute: args => run('pipeline', args)
  });
  app.commands.addCommand(CommandIDs.schedule, {
    label: 'Schedule…',
    caption: 'Run this notebook or pipeline with ScaleLab on a schedule (cron)',
    isEnabled: args => isEnabled(ALL_KINDS, args),
    execute: args => schedule(args)
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
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category: 'ScaleLab' });
    }
  }
}

/**
 * A {@link ShowDiff} for the panel's "Compare with previous run": the diff
 * in a main-area tab (one per pair of runs and step, reused when shown again).
 */
export function createShowDiff(app: JupyterFrontEnd): ShowDiff {
  const widgets = new Map<string, MainAreaWidget<Widget>>();
  let count = 0;
  return (diff: NotebookDiff, title: string): void => {
    const key = JSON.stringify([diff.base, diff.remote, diff.step]);
    let widget = widgets.get(key);
    if (!widget || widget.isDisposed) {
      const content = new Widget();
      content.addClass('jp-ScaleLabDiff');
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
    widget.content.node.replaceChildren(renderNotebookDiff(diff));
    if (!widget.isAttached) {
      app.shell.add(widget, 'main');
    }
    app.shell.activateById(widget.id);
  };
}

/** Opens the diff of a {@link DiffLink} (e.g. from a notification). */
export type OpenDiff = (link: DiffLink) => Promise<void>;

/**
 * An {@link OpenDiff}: fetch the diff of `link.step` between runs
 * `link.compare` and `link.run`, then show it with `showDiff`; errors are
 * shown in a dialog.
 */
export function createOpenDiff(client: ScaleLabClient, showDiff: ShowDiff): OpenDiff {
  return async (link: DiffLink): Promise<void> => {
    try {
      const diff = await client.diffRuns(link.project, link.run, link.compare, link.step);
      showDiff(diff, diffTitle(link));
    } catch (err) {
      await showErrorMessage(
        `Could not compare ${link.step} of runs ${link.compare} and ${link.run}`,
        errorMessage(err)
      );
    }
  };
}
