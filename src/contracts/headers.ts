/**
 * Header names on our topics. Values are UTF-8 strings. Kept in one place so that producers,
 * consumers and the redrive command agree.
 */
export const Headers = {
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  errorStage: 'x-error-stage',
  errorAttempts: 'x-error-attempts',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  originalTimestamp: 'x-original-timestamp',
  failedAt: 'x-failed-at',
  redriveCount: 'x-redrive-count',
  runId: 'x-run-id',
  route: 'x-route',
  /** On retry topics: epoch ms when the message is due, so the retry consumer need not parse it. */
  dueAt: 'x-due-at',
} as const;
