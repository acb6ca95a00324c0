import type { Timers } from '../../src/resilience/timers.js';

/** Timers that fire only when told to, for tests of the kit on a fake clock. */
export function manualTimers() {
  const pending = new Map<unknown, () => void>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (callback) => {
      const id = ++next;
      pending.set(id, callback);
      return id;
    },
    clearTimeout: (handle) => {
      pending.delete(handle);
    },
  };
  const fire = () => {
    for (const [id, callback] of [...pending]) {
      pending.delete(id);
      callback();
    }
  };
  return { timers, pending, fire };
}
