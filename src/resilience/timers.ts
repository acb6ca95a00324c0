/**
 * The timer functions the resilience kit schedules with: `setTimeout` / `clearTimeout` by
 * default, a fake clock in tests (so delays, deadlines and hedges are tested without
 * sleeping). Handles are opaque: whatever `setTimeout` returns is given back to
 * `clearTimeout`.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The global timers. Each call reads the global at that moment, so a test that installs
 * fake timers after this module loaded still gets them.
 */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle: ReturnType<typeof setTimeout>) => clearTimeout(handle),
};
