/**
 * The user settings of the extension (`schema/plugin.json`).
 *
 * No JupyterLab imports, so vitest can test it in plain Node.
 */

/** The settings, with their defaults filled in. */
export interface ScaleLabSettings {
  /** How often the runs are reloaded while one is queued or running (ms). */
  runsPollInterval: number;
  /** How often the shown schedules are reloaded (ms). */
  schedulesPollInterval: number;
  /** How often new notifications are fetched (ms). */
  notificationsPollInterval: number;
  /** Whether notifications of scheduled runs are shown as toasts. */
  showNotifications: boolean;
}

/** The defaults, as in the schema. */
export const DEFAULT_SETTINGS: Readonly<ScaleLabSettings> = {
  runsPollInterval: 2000,
  schedulesPollInterval: 5000,
  notificationsPollInterval: 10000,
  showNotifications: true
};

/** The shortest poll interval accepted (ms), as in the schema. */
export const MIN_POLL_INTERVAL = 500;

function interval(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.max(MIN_POLL_INTERVAL, Math.round(value))
    : fallback;
}

/** Settings from a setting registry's `composite` (anything missing or wrong: the default). */
export function readSettings(
  composite: Readonly<Record<string, unknown>> | null | undefined
): ScaleLabSettings {
  const raw = composite ?? {};
  return {
    runsPollInterval: interval(raw.runsPollInterval, DEFAULT_SETTINGS.runsPollInterval),
    schedulesPollInterval: interval(
      raw.schedulesPollInterval,
      DEFAULT_SETTINGS.schedulesPollInterval
    ),
    notificationsPollInterval: interval(
      raw.notificationsPollInterval,
      DEFAULT_SETTINGS.notificationsPollInterval
    ),
    showNotifications:
      typeof raw.showNotifications === 'boolean'
        ? raw.showNotifications
        : DEFAULT_SETTINGS.showNotifications
  };
}
