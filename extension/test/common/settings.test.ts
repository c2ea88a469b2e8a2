import { describe, expect, it } from 'vitest';

import { DEFAULT_SETTINGS, MIN_POLL_INTERVAL, readSettings } from '../../src/common/settings';
import { plainTrans } from '../../src/common/trans';

describe('readSettings()', () => {
  it('fills in the defaults', () => {
    expect(readSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ runsPollInterval: 'fast', showNotifications: 1 })).toEqual(
      DEFAULT_SETTINGS
    );
  });

  it('takes valid values, with a floor on the intervals', () => {
    expect(
      readSettings({
        runsPollInterval: 3000,
        schedulesPollInterval: 10,
        notificationsPollInterval: 60000,
        showNotifications: false
      })
    ).toEqual({
      runsPollInterval: 3000,
      schedulesPollInterval: MIN_POLL_INTERVAL,
      notificationsPollInterval: 60000,
      showNotifications: false
    });
  });
});

describe('plainTrans', () => {
  it('fills placeholders like the null translator', () => {
    expect(plainTrans.__('Run %1 by %2', 'r1', 'alice')).toBe('Run r1 by alice');
    expect(plainTrans._n('%1 attempt', '%1 attempts', 1)).toBe('1 attempt');
    expect(plainTrans._n('%1 attempt', '%1 attempts', 3)).toBe('3 attempts');
    expect(plainTrans.__('100%% done')).toBe('100% done');
  });
});
