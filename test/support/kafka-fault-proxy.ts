/**
 * A TCP proxy between Kafka clients and one broker that cuts or slows the link at chosen requests: the
 * faults a broker restart or a network blip causes, but at an exact point of the protocol
 * (say, after the broker committed a transaction and before the client heard it) and as often
 * as a test wants. The broker advertises the proxy's address on a listener of its own
 * (scripts/local-stack/up.sh: PROXIED), so every connection a client makes after its
 * bootstrap, to the coordinators included, runs through here.
 *
 * It reads just enough of the framing (kafka-frames.ts: api key, version, correlation id,
 * client id, and the transactional id or group) to pick a request; every byte is forwarded
 * unchanged otherwise. A response is recognised by its request's correlation id.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { API, apiName, frameSplitter, parseRequest, responseErrorCode, type ApiName, type RequestInfo } from './kafka-frames.ts';

export { API, type ApiName, type RequestInfo };

export type FaultMode =
  /** (a) The request is not forwarded and the link is cut: the broker never sees it. */
  | 'drop-request'
  /** (b) Forwarded; the link is cut when its response arrives: done, and the client cannot know. */
  | 'drop-response'
  /** (c) Forwarded; when its response arrives the link stalls both ways for holdMs, then is cut. */
  | 'hold-response'
  /** Forwarded; its response (and all else on the link) is delivered holdMs late: a slow link. */
  | 'delay-response'
  /** (d) As drop-response, then every link is cut and new ones refused for partitionMs. */
  | 'partition';

export interface Fault {
  api: ApiName;
  mode: FaultMode;
  /** Only a request from a client id matching this. */
  clientId?: RegExp;
  /** Only a request whose body's first string (transactional id, group) matches this. */
  key?: RegExp;
  holdMs?: number;
  partitionMs?: number;
  /** Carried into the log line, e.g. the trial number. */
  tag?: string;
}

export interface FiredFault {
  fault: Fault;
  request: RequestInfo;
  /** The broker's error code in the response that was withheld (0: it did it), where readable. */
  brokerError?: number;
  /** When it fired: the request dropped, or its response withheld (the broker had answered by then). */
  at: number;
}

export interface FaultProxy {
  readonly port: number;
  /** Arms a fault for the next matching request; faults fire in the order armed. */
  arm(fault: Fault): void;
  /** Removes every fault that has not fired, and returns them. */
  disarm(): Fault[];
  /** Cuts every link and refuses connections (the port is closed) for ms: a short partition. */
  blackHole(ms: number): Promise<void>;
  onFired(listener: (f: FiredFault) => void): void;
  readonly fired: readonly FiredFault[];
  /** Requests seen per API name (EndTxn also as EndTxn(commit) and EndTxn(abort)): proof that the client's traffic really went through the proxy. */
  readonly requests: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const describeRequest = (r: RequestInfo) => `${apiName(r.apiKey)}${r.commit === undefined ? '' : r.commit ? '(commit)' : '(abort)'} v${r.version} corr=${r.correlationId} key=${r.key ?? '-'}`;
export const describeFired = (f: FiredFault) =>
  `${f.fault.tag ? `${f.fault.tag} ` : ''}${f.fault.mode} ${describeRequest(f.request)}${f.brokerError === undefined ? '' : ` brokerError=${f.brokerError}`}`;

export async function startFaultProxy(opts: { port: number; upstream: { host: string; port: number }; host?: string }): Promise<FaultProxy> {
  const host = opts.host ?? '127.0.0.1';
  let armed: Fault[] = [];
  const fired: FiredFault[] = [];
  const listeners: ((f: FiredFault) => void)[] = [];
  const requests = new Map<string, number>();
  const links = new Set<{ cut(): void }>();
  let server: Server | undefined;
  let refusedUntil = 0;
  let reopen: NodeJS.Timeout | undefined;
  let closed = false;

  function fire(f: FiredFault): void {
    fired.push(f);
    for (const l of listeners) l(f);
  }

  /** The first armed fault this request matches, taken off the list. */
  function take(r: RequestInfo): Fault | undefined {
    const i = armed.findIndex((f) => API[f.api] === r.apiKey
      && (!f.clientId || f.clientId.test(r.clientId ?? ''))
      && (!f.key || f.key.test(r.key ?? '')));
    if (i < 0) return undefined;
    return armed.splice(i, 1)[0];
  }

  function onConnection(client: Socket): void {
    const upstream = connect({ host: opts.upstream.host, port: opts.upstream.port });
    const toBroker = frameSplitter();
    const toClient = frameSplitter();
    /** Requests whose response must not reach the client as it comes, by correlation id. */
    const withheld = new Map<number, { fault: Fault; request: RequestInfo }>();
    /** While a response is delayed, everything else waits behind it, both ways, in order. */
    let delayed: { frame: Buffer; toClient: boolean }[] | undefined;
    let stalled = false;
    let dead = false;
    const link = {
      cut() {
        if (dead) return;
        dead = true;
        links.delete(link);
        // A fault armed on a request whose response never came (the client left first) is
        // given back, so that it still fires on a later request.
        for (const w of withheld.values()) armed.unshift(w.fault);
        withheld.clear();
        client.destroy();
        upstream.destroy();
      },
    };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('error', () => link.cut());
    upstream.on('error', () => link.cut());
    client.on('close', () => link.cut());
    upstream.on('close', () => link.cut());

    function request(frame: Buffer): void {
      const r = parseRequest(frame);
      const name = apiName(r.apiKey);
      requests.set(name, (requests.get(name) ?? 0) + 1);
      // EndTxn is counted by outcome too: who ends a transaction, and how, is what some tests check.
      if (r.commit !== undefined) {
        const outcome = `${name}(${r.commit ? 'commit' : 'abort'})`;
        requests.set(outcome, (requests.get(outcome) ?? 0) + 1);
      }
      const fault = take(r);
      if (fault?.mode === 'drop-request') {
        fire({ fault, request: r, at: Date.now() });
        link.cut();
        return;
      }
      if (fault) withheld.set(r.correlationId, { fault, request: r });
      upstream.write(frame);
    }

    function response(frame: Buffer): void {
      const w = withheld.get(frame.readInt32BE(4));
      if (!w) {
        client.write(frame);
        return;
      }
      withheld.delete(frame.readInt32BE(4));
      const brokerError = responseErrorCode(frame, w.request);
      fire({ ...w, ...(brokerError === undefined ? {} : { brokerError }), at: Date.now() });
      const ms = w.fault.holdMs ?? 1000;
      if (w.fault.mode === 'delay-response') {
        // Late, not lost: the answer (what the broker knew when it answered) arrives after ms.
        delayed = [{ frame, toClient: true }];
        setTimeout(release, ms).unref();
      } else if (w.fault.mode === 'hold-response') {
        // A stalled link: nothing more passes either way, and the client waits on its request.
        stalled = true;
        setTimeout(() => link.cut(), ms).unref();
      } else if (w.fault.mode === 'partition') {
        link.cut();
        void blackHole(w.fault.partitionMs ?? 1000);
      } else {
        link.cut();
      }
    }

    /** Frames in arrival order, through the faults; queued behind a delayed response, if any. */
    function pass(frames: { frame: Buffer; toClient: boolean }[]): void {
      for (const f of frames) {
        if (stalled || dead) return;
        if (delayed) delayed.push(f);
        else if (f.toClient) response(f.frame);
        else request(f.frame);
      }
    }

    function release(): void {
      const [first, ...rest] = delayed ?? [];
      delayed = undefined;
      if (dead || !first) return;
      client.write(first.frame);
      pass(rest);
    }

    client.on('data', (chunk) => pass(toBroker(chunk).map((frame) => ({ frame, toClient: false }))));
    upstream.on('data', (chunk) => pass(toClient(chunk).map((frame) => ({ frame, toClient: true }))));
  }

  async function listen(): Promise<void> {
    const s = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(opts.port, host, () => resolve());
    });
    server = s;
  }

  async function stopListening(): Promise<void> {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  async function blackHole(ms: number): Promise<void> {
    refusedUntil = Math.max(refusedUntil, Date.now() + ms);
    for (const l of [...links]) l.cut();
    await stopListening();
    if (reopen) clearTimeout(reopen);
    // Closing the port, not accepting and dropping: a client then sees ECONNREFUSED, as it
    // would from a stopped broker.
    reopen = setTimeout(() => {
      reopen = undefined;
      if (!closed) void listen();
    }, Math.max(0, refusedUntil - Date.now()));
  }

  await listen();
  return {
    port: opts.port,
    arm: (fault) => void armed.push(fault),
    disarm() {
      const left = armed;
      armed = [];
      return left;
    },
    blackHole,
    onFired: (l) => void listeners.push(l),
    fired,
    requests,
    async close() {
      closed = true;
      if (reopen) clearTimeout(reopen);
      for (const l of [...links]) l.cut();
      await stopListening();
    },
  };
}

/**
 * The local stack's proxied listener (scripts/local-stack/up.sh) and the proxy port it
 * advertises. Throws, saying what to do, when the broker was started without that listener.
 */
export async function localProxiedListener(): Promise<{ upstream: { host: string; port: number }; port: number }> {
  const upstream = { host: '127.0.0.1', port: Number(process.env.LOCAL_KAFKA_PROXIED_PORT ?? 9094) };
  const reachable = await new Promise<boolean>((resolve) => {
    const s = connect(upstream, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!reachable) {
    throw new Error(`the local broker has no PROXIED listener on 127.0.0.1:${upstream.port}: it was started by an older up.sh; restart it (npm run stack:down && npm run stack:up)`);
  }
  return { upstream, port: Number(process.env.LOCAL_KAFKA_PROXY_PORT ?? 9095) };
}

/** The proxied listener is the local stack's: a broker given by KAFKA_BROKERS (or a container) has none. */
export const onLocalStack = (): boolean => /^(127\.0\.0\.1|localhost):9092$/.test(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
