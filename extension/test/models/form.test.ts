import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RegisterModelForm } from '../../src/models/form';
import { byTestId, installFakeDom, type } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';
import { registeredModel, version } from '../fixtures';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const REGISTERED = registeredModel('churn', [version('1', { aliases: ['champion'] })]);

function setup(answer: () => Response = () => jsonResponse(REGISTERED, 201)) {
  const fake = routed((method, path) =>
    method === 'POST' && path === 'api/projects/churn/models' ? answer() : undefined
  );
  const form = new RegisterModelForm({
    client: fake.client,
    slug: 'churn',
    run: { id: 'r7', target: 'train.ipynb' }
  });
  const control = (testid: string) => byTestId(form.node, testid)[0] as HTMLInputElement;
  const posted = () =>
    fake.fetch.mock.calls.map(([, init]) => JSON.parse(String(init?.body)) as unknown);
  return { ...fake, form, control, posted };
}

describe('RegisterModelForm', () => {
  it('starts with the slug as the model name and "model" as the path', () => {
    const { form, control } = setup();
    expect(control('scalelab-register-name').value).toBe('churn');
    expect(control('scalelab-register-artifact-path').value).toBe('model');
    expect(control('scalelab-register-alias-champion').checked).toBe(false);
    expect(byTestId(form.node, 'scalelab-register-run')[0].textContent).toBe(
      'The model logged by run r7 (train.ipynb) in project churn'
    );
    expect(form.canSave()).toBe(true);
  });

  it('POSTs the run, name, path and aliases', async () => {
    const { form, control, posted, requests } = setup();
    type(control('scalelab-register-name'), 'churn-classifier');
    type(control('scalelab-register-artifact-path'), 'sklearn-model');
    control('scalelab-register-alias-champion').checked = true;
    type(control('scalelab-register-aliases'), 'staging, , candidate');
    expect(await form.save()).toBe(true);
    expect(requests()).toEqual(['POST api/projects/churn/models']);
    expect(posted()).toEqual([
      {
        run_id: 'r7',
        name: 'churn-classifier',
        artifact_path: 'sklearn-model',
        aliases: ['champion', 'staging', 'candidate']
      }
    ]);
    expect(form.getValue()).toEqual(REGISTERED);
  });

  it('POSTs no aliases when none is chosen', async () => {
    const { form, posted } = setup();
    expect(await form.save()).toBe(true);
    expect(posted()).toEqual([{ run_id: 'r7', name: 'churn', artifact_path: 'model' }]);
  });

  it("shows the service's error on one line, and stays open", async () => {
    const { form } = setup(() =>
      jsonResponse(
        { status: 400, message: "MLflow: no model at 'model'\nin run abc", request_id: null },
        400
      )
    );
    expect(await form.save()).toBe(false);
    expect(form.getValue()).toBeNull();
    const error = byTestId(form.node, 'scalelab-register-error')[0];
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Not registered: MLflow: no model at 'model' in run abc");
  });

  it('cannot be sent without a name', async () => {
    const { form, control, requests } = setup();
    type(control('scalelab-register-name'), '  ');
    expect(form.canSave()).toBe(false);
    expect(byTestId(form.node, 'scalelab-register-field-error')[0].textContent).toBe(
      'Enter the name of the model.'
    );
    expect(await form.save()).toBe(false);
    expect(requests()).toEqual([]);
  });
});
