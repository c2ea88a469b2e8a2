import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { type ProjectModel, type RegisteredModelModel } from '../../src/common/api';
import { CommandIDs } from '../../src/common/commands';
import { ModelsModel } from '../../src/models/model';
import { type AskAlias, ModelsView } from '../../src/models/view';
import { fakeCommands } from '../fakecommands';
import { byTestId, installFakeDom } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project, registeredModel, version } from '../fixtures';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const NOW = Date.parse('2024-05-01T15:00:00+00:00');

function churnModel(): RegisteredModelModel {
  return registeredModel('churn', [
    version('1', { aliases: ['challenger'], created_by: null, scalelab_run_id: null }),
    version('2', { aliases: ['champion', 'staging'], created_at: '2024-05-01T14:55:00+00:00' })
  ]);
}

async function render(
  role: ProjectModel['my_role'],
  options: { models?: RegisteredModelModel[]; fail?: boolean; askAlias?: AskAlias } = {}
) {
  const state = { models: options.models ?? [churnModel()], failList: options.fail ?? false };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects/churn/models') {
      return state.failList
        ? jsonResponse(
            { status: 503, message: 'tracking unavailable:\n  MLflow is starting' },
            503
          )
        : jsonResponse({ models: state.models });
    }
    if (/^api\/projects\/churn\/models\/churn\/aliases\/\w+$/.test(path)) {
      return jsonResponse(state.models[0]);
    }
    return undefined;
  });
  const model = new ModelsModel({ client: fake.client });
  const { commands, execute } = fakeCommands([CommandIDs.openRun]);
  const view = new ModelsView({
    model,
    commands,
    askAlias: options.askAlias,
    now: () => NOW
  });
  model.setProject(project('churn', { my_role: role }), ALICE);
  await model.reload();
  return { ...fake, model, view, node: view.node, execute };
}

describe('ModelsView', () => {
  it('shows each model with its versions, newest first, and their aliases', async () => {
    const { node, model, view } = await render('viewer');
    const [item] = byTestId(node, 'scalelab-model');
    expect(item.dataset.model).toBe('churn');
    const link = byTestId(item, 'scalelab-model-mlflow')[0] as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe(churnModel().url);
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toContain('noopener');

    const rows = byTestId(item, 'scalelab-model-version');
    expect(rows.map(r => r.dataset.version)).toEqual(['2', '1']);
    const chips = (row: HTMLElement) =>
      byTestId(row, 'scalelab-model-alias').map(c => c.dataset.alias);
    expect(chips(rows[0])).toEqual(['champion', 'staging']);
    expect(chips(rows[1])).toEqual(['challenger']);
    const cells = (row: HTMLElement) => Array.from(row.querySelectorAll('td')).map(td => td.textContent);
    expect(cells(rows[0]).slice(2, 5)).toEqual(['5 min ago', 'alice', 'r2']);
    expect(cells(rows[1]).slice(3, 5)).toEqual(['—', '—']);
    expect(byTestId(node, 'scalelab-models-status')[0].hidden).toBe(true);
    view.dispose();
    model.dispose();
  });

  it('hides the alias actions from an editor', async () => {
    const { node, view, model } = await render('editor');
    expect(byTestId(node, 'scalelab-model-alias')).toHaveLength(3);
    expect(byTestId(node, 'scalelab-model-alias-remove')).toHaveLength(0);
    expect(byTestId(node, 'scalelab-model-set-alias')).toHaveLength(0);
    view.dispose();
    model.dispose();
  });

  it('gives a deployer "Set alias…" per version and a remove button per alias', async () => {
    const askAlias = vi.fn<AskAlias>(async () => 'challenger');
    const { node, view, model, requests, fetch } = await render('deployer', { askAlias });
    const sets = byTestId(node, 'scalelab-model-set-alias');
    expect(sets).toHaveLength(2);
    expect(sets[0].getAttribute('aria-label')).toBe('Set an alias on version 2 of churn');
    const removes = byTestId(node, 'scalelab-model-alias-remove');
    expect(removes).toHaveLength(3);
    expect(removes[0].getAttribute('aria-label')).toBe(
      'Remove alias champion from version 2 of churn'
    );

    sets[0].click();
    await vi.waitFor(() => {
      expect(requests()).toContain('PUT api/projects/churn/models/churn/aliases/challenger');
    });
    // Offered: the named aliases version 2 does not have yet.
    expect(askAlias.mock.calls[0][2]).toEqual(['challenger']);
    const put = fetch.mock.calls.find(([, init]) => init?.method === 'PUT');
    expect(JSON.parse(String(put?.[1]?.body))).toEqual({ version: '2' });

    byTestId(view.node, 'scalelab-model-alias-remove')[0].click();
    await vi.waitFor(() => {
      expect(requests()).toContain('DELETE api/projects/churn/models/churn/aliases/champion');
    });
    view.dispose();
    model.dispose();
  });

  it('sets nothing when the alias dialog is cancelled', async () => {
    const { node, view, model, requests } = await render('owner', { askAlias: async () => null });
    byTestId(node, 'scalelab-model-set-alias')[1].click();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(requests()).toEqual(['GET api/projects/churn/models']);
    view.dispose();
    model.dispose();
  });

  it('opens the ScaleLab run of a version in the Runs tab', async () => {
    const { node, view, model, execute } = await render('viewer');
    const link = byTestId(node, 'scalelab-model-run')[0];
    expect(link.textContent).toBe('r2');
    link.click();
    expect(execute).toHaveBeenCalledWith(CommandIDs.openRun, { project: 'churn', run: 'r2' });
    view.dispose();
    model.dispose();
  });

  it('says when there is no model yet', async () => {
    const { node, view, model } = await render('viewer', { models: [] });
    const status = byTestId(node, 'scalelab-models-status')[0];
    expect(status.hidden).toBe(false);
    expect(status.textContent).toBe('No registered models yet: register one from a run (deployers)');
    expect(byTestId(node, 'scalelab-models')[0].hidden).toBe(true);
    view.dispose();
    model.dispose();
  });

  it('shows a load error on one line', async () => {
    const { node, view, model } = await render('viewer', { fail: true });
    const error = byTestId(node, 'scalelab-models-error')[0];
    expect(error.hidden).toBe(false);
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe(
      'Could not load the registered models: tracking unavailable: MLflow is starting'
    );
    view.dispose();
    model.dispose();
  });
});
