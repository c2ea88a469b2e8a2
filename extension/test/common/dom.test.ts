import { describe, expect, it, vi } from 'vitest';

import { classes, reveal } from '../../src/common/dom';

describe('classes', () => {
  it('adds the classes that are on, in order', () => {
    expect(
      classes('jp-ScaleLabSchedules-row', { 'jp-mod-selected': true, 'jp-mod-paused': true })
    ).toBe('jp-ScaleLabSchedules-row jp-mod-selected jp-mod-paused');
    expect(classes('a b', { 'jp-mod-selected': false, 'jp-mod-archived': true })).toBe(
      'a b jp-mod-archived'
    );
  });

  it('is the base alone when none is on', () => {
    expect(classes('a', {})).toBe('a');
    expect(classes('a', { 'jp-mod-selected': false })).toBe('a');
  });
});

describe('reveal', () => {
  it('scrolls a node just into view', () => {
    const scrollIntoView = vi.fn();
    reveal({ scrollIntoView } as unknown as Element);
    expect(scrollIntoView).toHaveBeenCalledWith({ block: 'nearest' });
  });

  it('does nothing without a node or where the node cannot scroll', () => {
    expect(() => reveal(null)).not.toThrow();
    expect(() => reveal({} as Element)).not.toThrow();
  });
});
