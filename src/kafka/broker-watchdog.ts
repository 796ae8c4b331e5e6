/**
 * Gives up on the Kafka cluster after it stayed silent for longer than BROKER_GIVE_UP_AFTER.
 * KafkaJS retries on its own and the engine restarts crashed consumers, so without this a
 * process whose broker is gone for good would wait forever instead of letting its supervisor
 * restart it. Any answer from the cluster counts as contact (a heartbeat, a fetch, a commit).
 */
import type { Logger } from '../observability/logger.ts';

export interface BrokerWatchdog {
  /** The cluster answered. */
  contact(): void;
  /** Something failed against the cluster: gives up if it has been silent for too long. */
  check(error: Error): void;
  /** Called on a timer: gives up if nothing at all has been heard for too long. */
  tick(): void;
  readonly fatal: boolean;
}

export function createBrokerWatchdog(deps: {
  giveUpAfterMs: number;
  isStopping: () => boolean;
  /** Called once, when the watchdog gives up. */
  onFatal?: ((error: Error) => void) | undefined;
  log: Logger;
  now?: () => number;
}): BrokerWatchdog {
  const now = deps.now ?? Date.now;
  let lastContact = now();
  let fatal = false;

  function check(e: Error): void {
    if (fatal || deps.isStopping()) return;
    const silentFor = now() - lastContact;
    if (silentFor > deps.giveUpAfterMs) {
      fatal = true;
      deps.log.fatal({ silentForMs: silentFor, giveUpAfterMs: deps.giveUpAfterMs, err: e.message }, 'Kafka unreachable for longer than BROKER_GIVE_UP_AFTER: giving up');
      deps.onFatal?.(e);
    }
  }

  return {
    contact() {
      lastContact = now();
    },
    check,
    tick() {
      if (now() - lastContact > deps.giveUpAfterMs) check(new Error('no contact with the Kafka cluster'));
    },
    get fatal() {
      return fatal;
    },
  };
}
