/**
 * Ctrl-C and SIGTERM during a long operation: the first one aborts it (the Automation API passes
 * SIGINT to the engine, Pulumi's graceful stop), later ones only say that teardown is under way.
 * The listeners stay for the whole operation. They must: the Automation API runs the engine
 * through execa 5, whose `cleanup` option loads signal-exit 3, and signal-exit re-sends a signal
 * to its own process (killing it at once) when it finds itself the only listener left
 * (signal-exit/index.js). A `process.once` listener is gone by then, so kuar died mid-run and
 * left the engine and its plugins running with parent 1.
 */
export interface Interrupt {
  signal: AbortSignal;
  /** Removes the listeners (when the operation, teardown included, is over). */
  dispose(): void;
}

export function interruptible(warn: (line: string) => void): Interrupt {
  const abort = new AbortController();
  const on = (sig: NodeJS.Signals) => () => {
    if (abort.signal.aborted) {
      warn(`${sig} received again: still stopping; the teardown finishes on its own`);
      return;
    }
    warn(`${sig} received: stopping the running operation (teardown still runs)`);
    abort.abort();
  };
  const handlers = { SIGINT: on("SIGINT"), SIGTERM: on("SIGTERM") };
  process.on("SIGINT", handlers.SIGINT);
  process.on("SIGTERM", handlers.SIGTERM);
  return {
    signal: abort.signal,
    dispose() {
      process.off("SIGINT", handlers.SIGINT);
      process.off("SIGTERM", handlers.SIGTERM);
    },
  };
}
