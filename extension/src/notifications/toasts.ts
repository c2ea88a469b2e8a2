import { Notification } from '@jupyterlab/apputils';
import { type CommandRegistry } from '@lumino/commands';

import { type NotificationModel } from '../common/api';
import { CommandIDs } from '../common/commands';
import { errorMessage } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { diffLinkFromUrl, diffTitle, notificationText, outputPathFromLink } from './helpers';
import { type NotificationsModel, type ReceivedNotifications } from './model';

/** How long a toast stays, by level (ms; `false`: until closed). */
const AUTO_CLOSE: Record<NotificationModel['level'], number | false> = {
  error: false,
  warning: 15000,
  success: 8000,
  info: 8000
};

/**
 * Show one ScaleLab notification as a JupyterLab notification; its
 * actions execute {@link CommandIDs.openOutput} and {@link CommandIDs.compareRuns}.
 */
export function showNotification(
  notification: NotificationModel,
  commands: CommandRegistry,
  trans: TranslationBundle = plainTrans
): string {
  const actions: Notification.IAction[] = [];
  const output = outputPathFromLink(notification.links.output);
  if (output) {
    actions.push({
      label: trans.__('Open output'),
      caption: output,
      displayType: 'accent',
      callback: () => {
        commands.execute(CommandIDs.openOutput, { path: output }).catch((err: unknown) => {
          Notification.error(trans.__('Could not open %1: %2', output, errorMessage(err)), {
            autoClose: 8000
          });
        });
      }
    });
  }
  const diff = diffLinkFromUrl(notification.links.diff);
  if (diff) {
    actions.push({
      label: trans.__('Compare with last success'),
      caption: diffTitle(diff, trans),
      callback: () => {
        void commands.execute(CommandIDs.compareRuns, { ...diff });
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

/** Show what `model` receives as toasts; returns a function that stops showing them. */
export function showNotifications(
  model: NotificationsModel,
  commands: CommandRegistry,
  trans: TranslationBundle = plainTrans
): () => void {
  const show = (sender: NotificationsModel, received: ReceivedNotifications): void => {
    const { notifications, skipped } = received;
    if (skipped > 0) {
      Notification.info(
        trans._n(
          'ScaleLab: %1 older notification not shown',
          'ScaleLab: %1 older notifications not shown',
          skipped
        ),
        { autoClose: 8000 }
      );
    }
    for (const notification of notifications) {
      showNotification(notification, commands, trans);
    }
  };
  model.received.connect(show);
  return () => {
    model.received.disconnect(show);
  };
}

/** `window.localStorage`, or `null` where it is not available. */
export function localStorageOrNull(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}
