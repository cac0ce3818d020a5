/**
 * How a long-running command stops: the first Ctrl-C (SIGINT) or SIGTERM asks it to close
 * everything and return; if the process is still alive `graceMs` later, it exits anyway, saying
 * so; a second signal exits at once.
 */

/** Exit statuses by signal, as shells report them (128 + the signal's number). */
const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_STATUS;

export interface StopRequest {
  /** Resolves with the signal's name when the first one arrives. */
  readonly requested: Promise<StopSignal>;
  /** Stops listening (for callers in a process that goes on, such as tests). */
  dispose(): void;
}

export interface StopOptions {
  /** How long closing may take before the process exits anyway (default 10 s). */
  readonly graceMs?: number;
  /** Ends the process (default `process.exit`). */
  readonly exit?: (status: number) => void;
  /** Where the signals come from (default `process`). */
  readonly signals?: { on(name: StopSignal, listener: () => void): unknown; off(name: StopSignal, listener: () => void): unknown };
}

/**
 * Listens for SIGINT and SIGTERM until the process ends.
 *
 * @example
 * ```ts
 * const stop = watchStopSignals(console.log);
 * const node = await StorageNode.start(options);
 * await stop.requested;
 * await node.close();
 * ```
 */
export function watchStopSignals(out: (line: string) => void, options: StopOptions = {}): StopRequest {
  const graceMs = options.graceMs ?? 10_000;
  const exit = options.exit ?? ((status: number) => process.exit(status));
  const signals = options.signals ?? process;
  let first: StopSignal | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let resolveRequested!: (signal: StopSignal) => void;
  const requested = new Promise<StopSignal>((resolve) => (resolveRequested = resolve));
  const onSignal = (signal: StopSignal): void => {
    if (first !== undefined) {
      out(`handoff: ${signal} again: exiting now`);
      exit(SIGNAL_STATUS[signal]);
      return;
    }
    first = signal;
    out(`handoff: ${signal}: stopping (send it again to exit at once)`);
    // Unref'd: a process that closed everything exits by itself, without waiting for this.
    watchdog = setTimeout(() => {
      out(`handoff: still running ${Math.round(graceMs / 1000)} s after ${signal}: exiting anyway`);
      exit(1);
    }, graceMs);
    watchdog.unref();
    resolveRequested(signal);
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);
  return {
    requested,
    dispose() {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      if (watchdog !== undefined) clearTimeout(watchdog);
    },
  };
}
