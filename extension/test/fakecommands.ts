import { type CommandRegistry } from '@lumino/commands';
import { vi } from 'vitest';

/**
 * A stand-in for the command registry the views execute cross-feature
 * actions through: `ids` are registered; `execute` is a spy.
 */
export function fakeCommands(ids: readonly string[] = []) {
  const registered = new Set(ids);
  const execute = vi.fn(async (id: string, args?: unknown): Promise<unknown> => undefined);
  const commands = {
    hasCommand: (id: string) => registered.has(id),
    execute
  } as unknown as CommandRegistry;
  return { commands, execute };
}
