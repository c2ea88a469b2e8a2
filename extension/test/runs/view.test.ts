import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ProjectModel, type RunModel, type StepModel } from '../../src/common/api';
import { CommandIDs } from '../../src/common/commands';
import { RunsModel } from '../../src/runs/model';
import { RunsView } from '../../src/runs/view';
import { fakeCommands } from '../fakecommands';
import { byTestId, installFakeDom } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, MLFLOW, project, run } from '../fixtures';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const TRACKED = run('r2', {
  tracking: { experiment_id: '1', run_id: 'abc', url: `${MLFLOW}#/experiments/1/runs/abc` }
});
const UNTRACKED = run('r1');

function step(name: string, tracking_run_id: string | null): StepModel {
  return {
    name,
    notebook: `${name}.ipynb`,
    status: 'succeeded',
    parameters: {},
    kernel: 'python3',
    started_at: null,
    finished_at: null,
    attempts: 1,
    error: null,
    failed_cell: null,
    reused_from: null,
    output: null,
    lineage: null,
    tracking_run_id,
    profiles: {}
  };
}

async function render(runs: RunModel[], role: ProjectModel['my_role'] = 'viewer') {
  const fake = routed((method, path) =>
    method === 'GET' && path === 'api/projects/churn/runs' ? jsonResponse({ runs }) : undefined
  );
  const model = new RunsModel({ client: fake.client });
  const { commands, execute } = fakeCommands([CommandIDs.registerModel]);
  const view = new RunsView({ model, commands });
  model.setProject(project('churn', { my_role: role }), ALICE);
  await model.reload();
  const show = (id: string) => {
    model.select(id);
    return byTestId(view.node, 'scalelab-run-detail')[0];
  };
  return { model, view, show, execute };
}

describe('RunsView', () => {
  it('links a run with tracking to its MLflow run, in a new tab', async () => {
    const { show, model, view } = await render([UNTRACKED, TRACKED]);
    const links = byTestId(show('r2'), 'scalelab-run-mlflow');
    expect(links).toHaveLength(1);
    expect(links[0].textContent).toBe('MLflow');
    expect(links[0].getAttribute('href')).toBe(`${MLFLOW}#/experiments/1/runs/abc`);
    expect(links[0].getAttribute('target')).toBe('_blank');
    expect(links[0].getAttribute('rel')).toContain('noopener');
    view.dispose();
    model.dispose();
  });

  it('has no MLflow link for a run without tracking', async () => {
    const { show, model, view } = await render([UNTRACKED, TRACKED]);
    expect(byTestId(show('r1'), 'scalelab-run-mlflow')).toHaveLength(0);
    // Nor when the service leaves the field out.
    const old: Partial<RunModel> = run('r3');
    delete old.tracking;
    const legacy = await render([old as RunModel]);
    expect(byTestId(legacy.show('r3'), 'scalelab-run-mlflow')).toHaveLength(0);
    for (const r of [legacy, { model, view }]) {
      r.view.dispose();
      r.model.dispose();
    }
  });

  it("links the pipeline steps' own MLflow runs", async () => {
    const pipeline = {
      ...TRACKED,
      kind: 'pipeline' as const,
      steps: [step('prepare', 'def'), step('train', 'abc'), step('report', null)]
    };
    const { show, model, view } = await render([pipeline]);
    const detail = show('r2');
    const links = byTestId(detail, 'scalelab-step-mlflow');
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute('href')).toBe(`${MLFLOW}#/experiments/1/runs/def`);
    view.dispose();
    model.dispose();
  });

  it('offers "Register model…" to deployers on succeeded tracked runs only', async () => {
    const failed = run('r4', { status: 'failed', tracking: TRACKED.tracking });
    const deployer = await render([UNTRACKED, TRACKED, failed], 'deployer');
    const button = byTestId(deployer.show('r2'), 'scalelab-run-register-model');
    expect(button).toHaveLength(1);
    button[0].click();
    expect(deployer.execute).toHaveBeenCalledWith(CommandIDs.registerModel, {
      project: 'churn',
      run: 'r2',
      target: 'train.ipynb'
    });
    expect(byTestId(deployer.show('r4'), 'scalelab-run-register-model')).toHaveLength(0);
    expect(byTestId(deployer.show('r1'), 'scalelab-run-register-model')).toHaveLength(0);

    const editor = await render([TRACKED], 'editor');
    expect(byTestId(editor.show('r2'), 'scalelab-run-register-model')).toHaveLength(0);
    for (const r of [deployer, editor]) {
      r.view.dispose();
      r.model.dispose();
    }
  });
});
