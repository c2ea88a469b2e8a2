import { Notification } from '@jupyterlab/apputils';

import { type NotificationModel, type ScaleLabClient } from './api';
import { errorMessage } from './helpers';
import {
  diffLinkFromUrl,
  diffTitle,
  NotificationPoller,
  notificationText,
  outputPathFromLink,
  type StorageLike
} from './notifyhelpers';
import { type OpenDiff } from './runcommands';
import { type OpenOutput } from './runs';

/** Options for {@link startNotifications}. */
export interface NotificationsOptions {
  client: ScaleLabClient;
  /** Opens an output notebook (a lab path such as `runs/<slug>/<run>/<file>`). */
  openOutput: OpenOutput;
  /** Opens the diff of a step between two runs. */
  openDiff: OpenDiff;
}

/** `window.localStorage`, or `null` where it is not available. */
function localStorageOrNull(): StorageLike | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

/** How long a toast stays, by level (ms; `false`: until closed). */
const AUTO_CLOSE: Record<NotificationModel['level'], number | false> = {
  error: false,
  warning: 15000,
  success: 8000,
  info: 8000
};

/** Show one ScaleLab notification as a JupyterLab notification. */
export function showNotification(
  notification: NotificationModel,
  options: Pick<NotificationsOptions, 'openOutput' | 'openDiff'>
): string {
  const actions: Notification.IAction[] = [];
  const output = outputPathFromLink(notification.links.output);
  if (output) {
    actions.push({
      label: 'Open output',
      caption: output,
      displayType: 'accent',
      callback: () => {
        options.openOutput(output).catch((err: unknown) => {
          Notification.error(`Could not open ${output}: ${errorMessage(err)}`, {
            autoClose: 8000
          });
        });
      }
    });
  }
  const diff = diffLinkFromUrl(notification.links.diff);
  if (diff) {
    actions.push({
      label: 'Compare with last success',
      caption: diffTitle(diff),
      callback: () => {
        void options.openDiff(diff);
      }
    });
  }
  const text = notificationText(notification);
  const toast = { autoClose: AUTO_CLOSE[notification.level] ?? 8000, actions };
  switch (notification.level) {
    case 'error':
      return Notification.error(text, toast);
    case 'warning':
      return Notification.warning(text, toast);
    case 'success':
      return Notification.success(text, toast);
    default:
      return Notification.info(text, toast);
  }
}

/**
 * Fetch new ScaleLab notifications every 10 s and show each with
 * JupyterLab's `Notification` API; returns the running poller.
 */
export function startNotifications(options: NotificationsOptions): NotificationPoller {
  const poller = new NotificationPoller({
    client: options.client,
    storage: localStorageOrNull(),
    show: (notifications, skipped) => {
      if (skipped > 0) {
        Notification.info(
          `ScaleLab: ${skipped} older notification${skipped === 1 ? '' : 's'} not shown`,
          { autoClose: 8000 }
        );
      }
      for (const notification of notifications) {
        showNotification(notification, options);
      }
    }
  });
  poller.start();
  return poller;
}
