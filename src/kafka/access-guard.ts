/**
 * Names a missing ACL. KafkaJS reports "Not authorized to access topics" without saying which
 * topic or what was asked; every client made by createKafka goes through here, where both are
 * known, so the error says e.g. `user "app" is not authorized to WRITE topic "documents.enriched"`.
 *
 * Producers, transactions and consumers also report the denial to `onDenied` (the processor and
 * the aggregator exit on it: their work happens in the background, where a thrown error would
 * only be retried forever). Admin calls just throw the named error: the caller decides, and a
 * best-effort call (deleting a reader group) may ignore it.
 *
 * A transaction that writes several topics and is refused is tried topic by topic in the same
 * transaction to find the refused one, then aborted: KafkaJS reports the refusal without its
 * topic, and a transaction's records are never visible unless it commits.
 */
import type { Admin, AdminConfig, Consumer, ConsumerConfig, KafkaConfig, Producer, ProducerBatch, ProducerConfig, ProducerRecord, Transaction } from 'kafkajs';
import { ErrorCodes, SetupError } from '../errors.ts';
import { deniedResource, errorChain, isAuthorizationError, isNotAttempted, type DeniedResource } from './error-kinds.ts';
import { kafkajs } from './load-kafkajs.ts';

export interface AccessGuard {
  /** Who asked, as the broker sees it: `user "app"`. */
  principal: string;
  onDenied?: (e: SetupError) => void;
  /**
   * Which coordinator the broker just refused to name for lack of rights (a group's, or a
   * transactional id's), if any. KafkaJS logs that answer, then reports only "Failed to find
   * group coordinator" (the refusal is dropped on the way), so client.ts notes it from KafkaJS's
   * log and the guard asks here.
   */
  coordinatorRefused?: () => 'group' | 'transactional id' | undefined;
}

/** What the refused call asked for: the operation for each kind of resource, and the names. */
interface Asked {
  topics?: { operation: string; names: readonly string[] };
  group?: { operation: string; name: string };
  transactionalId?: string;
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

export function accessDenied(e: unknown, asked: Asked, principal: string): SetupError {
  const known = errorChain(e).find((x): x is SetupError => x instanceof SetupError);
  if (known) return known;
  const d = deniedResource(e);
  const kind: DeniedResource = d?.resource ?? 'topic';
  let what: string;
  if (kind === 'topic') {
    const names = d?.topics.length ? d.topics : asked.topics?.names ?? [];
    const s = names.length === 1 ? '' : 's';
    const operation = asked.topics?.operation ?? 'DESCRIBE';
    what = `${operation} topic${s} ${quoted(names)}${operation === 'CREATE' ? ` (${names.length === 1 ? 'it is' : 'they are'} missing, or may not be DESCRIBEd by this user)` : ''}`;
  } else if (kind === 'group') {
    what = `${asked.group?.operation ?? 'READ'} group "${asked.group?.name ?? '?'}"`;
  } else if (kind === 'transactional id') {
    what = `WRITE transactional id "${asked.transactionalId ?? '?'}"`;
  } else {
    what = asked.topics?.operation === 'CREATE' ? 'CREATE topics on the cluster' : 'IDEMPOTENT_WRITE on the cluster (or WRITE on any topic)';
  }
  return new SetupError(
    `Kafka refused: ${principal} is not authorized to ${what}; grant it with an ACL (\`enricher acls\` prints every right each command needs)`,
    { code: ErrorCodes.KAFKA_NOT_AUTHORIZED, setting: `ACL: ${what}`, cause: e },
  );
}

function deny(g: AccessGuard, e: unknown, asked: Asked, report: boolean): SetupError {
  const named = accessDenied(e, asked, g.principal);
  if (report) g.onDenied?.(named);
  return named;
}

/** An authorization error, or KafkaJS's "no coordinator" right after the broker refused to name one (see coordinatorRefused). */
function refusal(g: AccessGuard, e: unknown): unknown {
  if (isAuthorizationError(e)) return e;
  const refused = /Failed to find group coordinator/i.test((e as Error | undefined)?.message ?? '') ? g.coordinatorRefused?.() : undefined;
  if (refused === 'group') return Object.assign(new Error('Not authorized to access group: Group authorization failed'), { type: 'GROUP_AUTHORIZATION_FAILED', cause: e });
  if (refused === 'transactional id') return Object.assign(new Error('Transactional Id authorization failed'), { type: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', cause: e });
  return undefined;
}

async function guarded<T>(g: AccessGuard, asked: Asked, report: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const refused = refusal(g, e);
    if (refused) throw deny(g, refused, asked, report);
    throw e;
  }
}

const topicsOf = (b: ProducerBatch) => (b.topicMessages ?? []).map((t) => t.topic);

function guardTransaction(tx: Transaction, transactionalId: string | undefined, g: AccessGuard): Transaction {
  const write = (names: readonly string[]): Asked => ({ topics: { operation: 'WRITE', names }, transactionalId });
  async function refused(e: unknown, asked: Asked): Promise<never> {
    const named = deny(g, e, asked, false);
    await tx.abort().catch(() => undefined);
    g.onDenied?.(named);
    throw named;
  }
  /** Names and reports the refusal, if `e` is one; otherwise passes `e` on. */
  const onFailure = (asked: Asked) => (e: unknown): Promise<never> => {
    const why = refusal(g, e);
    return why ? refused(why, asked) : Promise.reject(e);
  };
  return {
    ...tx,
    send: (r: ProducerRecord) => tx.send(r).catch(onFailure(write([r.topic]))),
    async sendBatch(b: ProducerBatch) {
      try {
        return await tx.sendBatch(b);
      } catch (e) {
        const topics = topicsOf(b);
        if (topics.length > 1 && (refusal(g, e) || isNotAttempted(e))) {
          for (const tm of b.topicMessages ?? []) {
            try {
              await tx.sendBatch({ ...b, topicMessages: [tm] });
            } catch (one) {
              const why = refusal(g, one);
              if (why) return refused(why, write([tm.topic]));
              break;
            }
          }
        }
        return onFailure(write(topics))(e);
      }
    },
    sendOffsets: (o) =>
      tx.sendOffsets(o).catch(onFailure({ group: { operation: 'READ', name: o.consumerGroupId }, topics: { operation: 'READ', names: o.topics.map((t) => t.topic) }, transactionalId })),
    commit: () => tx.commit().catch(onFailure({ transactionalId })),
  };
}

function guardProducer(p: Producer, transactionalId: string | undefined, g: AccessGuard): Producer {
  const asked = (names: readonly string[]): Asked => ({ topics: { operation: 'WRITE', names }, transactionalId });
  return {
    ...p,
    connect: () => guarded(g, { transactionalId }, true, () => p.connect()),
    send: (r) => guarded(g, asked([r.topic]), true, () => p.send(r)),
    sendBatch: (b) => guarded(g, asked(topicsOf(b)), true, () => p.sendBatch(b)),
    transaction: async () => guardTransaction(await guarded(g, { transactionalId }, true, () => p.transaction()), transactionalId, g),
  };
}

function guardConsumer(c: Consumer, groupId: string, g: AccessGuard): Consumer {
  const subscribed: string[] = [];
  const asked = (): Asked => ({ group: { operation: 'READ', name: groupId }, topics: { operation: 'READ', names: subscribed } });
  c.on(c.events.CRASH, (ev) => {
    const refused = refusal(g, ev.payload.error);
    if (refused) deny(g, refused, asked(), true);
  });
  return {
    ...c,
    connect: () => guarded(g, asked(), true, () => c.connect()),
    subscribe: (s) => {
      if ('topics' in s && s.topics) subscribed.push(...s.topics.map(String));
      else if ('topic' in s && s.topic) subscribed.push(String(s.topic));
      return guarded(g, asked(), true, () => c.subscribe(s));
    },
    run: (r) => guarded(g, asked(), true, () => c.run(r)),
  };
}

/** Admin calls and what each asks of the broker, by the arguments KafkaJS takes. */
function adminAsked(method: string, args: unknown[]): Asked {
  const a = (args[0] ?? {}) as { topics?: unknown[]; topic?: string; groupId?: string };
  const topicNames = (a.topics ?? []).map((t) => (typeof t === 'string' ? t : (t as { topic: string }).topic));
  switch (method) {
    case 'createTopics': return { topics: { operation: 'CREATE', names: topicNames } };
    case 'deleteTopics': return { topics: { operation: 'DELETE', names: topicNames } };
    case 'fetchTopicOffsets': case 'fetchTopicOffsetsByTimestamp': return { topics: { operation: 'DESCRIBE', names: [String(args[0])] } };
    case 'fetchOffsets': return { group: { operation: 'DESCRIBE', name: String(a.groupId) }, topics: { operation: 'DESCRIBE', names: topicNames } };
    case 'setOffsets': case 'resetOffsets': return { group: { operation: 'READ', name: String(a.groupId) }, topics: { operation: 'READ', names: [String(a.topic)] } };
    case 'describeGroups': return { group: { operation: 'DESCRIBE', name: (args[0] as string[] | undefined)?.join(', ') ?? '?' } };
    case 'deleteGroups': return { group: { operation: 'DELETE', name: (args[0] as string[] | undefined)?.join(', ') ?? '?' } };
    default: return { topics: { operation: 'DESCRIBE', names: topicNames } };
  }
}

function guardAdmin(admin: Admin, g: AccessGuard): Admin {
  const out: Record<string, unknown> = { ...admin };
  for (const [name, fn] of Object.entries(admin)) {
    if (typeof fn !== 'function' || name === 'on' || name === 'disconnect' || name === 'logger') continue;
    out[name] = (...args: unknown[]) => guarded(g, adminAsked(name, args), false, () => (fn as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return out as unknown as Admin;
}

/** KafkaJS's client, with every producer, consumer and admin it makes guarded. */
export class GuardedKafka extends kafkajs.Kafka {
  // Not a #private field: callers (tests among them) may wrap the client in a Proxy, through
  // which a #private field cannot be read.
  private readonly guard: AccessGuard;

  constructor(config: KafkaConfig, guard: AccessGuard) {
    super(config);
    this.guard = guard;
  }

  override producer(config?: ProducerConfig): Producer {
    return guardProducer(super.producer(config), config?.transactionalId, this.guard);
  }

  override consumer(config: ConsumerConfig): Consumer {
    return guardConsumer(super.consumer(config), config.groupId, this.guard);
  }

  override admin(config?: AdminConfig): Admin {
    return guardAdmin(super.admin(config), this.guard);
  }
}
