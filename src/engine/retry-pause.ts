/**
 * Holds a partition of a retry topic paused until its next record is due, the way Spring
 * Kafka's retry topics wait: the partition is paused and a timer resumes it, so nothing sleeps
 * in place and the other partitions go on.
 */

export interface RetryPause {
  /**
   * Pauses the partition (`pause` pauses it and returns the function that resumes it) until
   * `dueAt` (epoch ms). A newer call replaces the timer of an earlier one.
   */
  until(dueAt: number, pause: () => () => void): void;
  /**
   * The partition's state is being dropped: resume it now. KafkaJS keeps a partition's pause
   * across rebalances, so one left paused would never be read again by this consumer, even
   * when the partition comes back to it.
   */
  release(): void;
  /** The consumer is stopping: forget the timer without resuming. */
  cancel(): void;
}

export function createRetryPause(deps: { isStopping: () => boolean; now?: () => number }): RetryPause {
  const now = deps.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let resumePartition: (() => void) | undefined;
  return {
    until(dueAt, pause) {
      const resume = pause();
      if (timer) clearTimeout(timer);
      resumePartition = resume;
      timer = setTimeout(() => {
        timer = undefined;
        if (!deps.isStopping()) resume();
      }, dueAt - now());
    },
    release() {
      if (!timer) return;
      clearTimeout(timer);
      timer = undefined;
      resumePartition?.();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
