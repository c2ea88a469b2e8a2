import { Token } from '@lumino/coreutils';

import { type ScaleLabClient } from './api';

/**
 * The ScaleLab REST API client of the running lab (requests carry the
 * Jupyter server's authentication and XSRF token).
 *
 * Provided by `scalelab:plugin`; require it in another extension to reach
 * the ScaleLab service:
 *
 * ```ts
 * requires: [IScaleLabClient],
 * activate: (app, client: IScaleLabClient) => client.listProjects()
 * ```
 */
export type IScaleLabClient = ScaleLabClient;

/** The token of {@link IScaleLabClient}. */
export const IScaleLabClient = new Token<IScaleLabClient>(
  'scalelab:IScaleLabClient',
  'The ScaleLab REST API client (projects, runs, schedules, notifications).'
);
