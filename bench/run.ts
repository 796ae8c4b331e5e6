/**
 * `npm run bench [-- --scenario saturation|overhead|latency|scaleout|replay|instant|heavy-tail|tracing|all] [--quick] [--profile] [--out FILE]`
 * Starts what it needs (the local Kafka stack when no broker answers; the local
 * OpenAI-compatible server per scenario), runs the scenarios one after another, and writes
 * bench/RESULTS.md and bench/results.svg (a --quick run writes bench/out/ instead).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { ensureBroker } from '../src/kafka/local-broker.ts';
import { root } from './lib.ts';
import { writeReport } from './report.ts';
import { latency } from './scenarios/latency.ts';
import { overhead } from './scenarios/overhead.ts';
import { saturation } from './scenarios/saturation.ts';
import { scaleout } from './scenarios/scaleout.ts';
import { instant } from './scenarios/instant.ts';
import { replay } from './scenarios/replay.ts';
import { heavyTail } from './scenarios/heavy-tail.ts';
import { tracingOverhead } from './scenarios/tracing.ts';
import type { ScenarioResult } from './scenarios/types.ts';

const ALL = ['saturation', 'overhead', 'latency', 'scaleout', 'replay', 'instant', 'heavy-tail', 'tracing'] as const;
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const wanted = (values.scenario ?? ['all']).flatMap((s) => s.split(',')).flatMap((s) => (s === 'all' ? [...ALL] : [s]));
for (const s of wanted) if (!(ALL as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}" (one of ${ALL.join(', ')}, all)`);
const quick = values.quick ?? false;
const out = values.out ?? (quick ? join(root, 'bench/out/quick-results.md') : join(root, 'bench/RESULTS.md'));
mkdirSync(dirname(out), { recursive: true });
const profileDir = values.profile ? join(root, 'bench/out/profiles') : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });

const config = loadConfig();
await ensureBroker(config, (s) => process.stderr.write(s));
const redisUrl = config.llm.redisUrl ?? 'redis://127.0.0.1:6379';

function redisAnswers(): boolean {
  try {
    return execFileSync('redis-cli', ['-u', redisUrl, 'ping'], { timeout: 3000 }).toString().includes('PONG');
  } catch {
    return false;
  }
}

const results: ScenarioResult[] = [];
for (const name of wanted) {
  process.stderr.write(`[bench] ${name}${quick ? ' (quick)' : ''}…\n`);
  const t0 = Date.now();
  const loadAtStart = loadavg()[0]!;
  let r: ScenarioResult | undefined;
  if (name === 'saturation') r = await saturation({ quick });
  else if (name === 'overhead') r = await overhead({ quick, profileDir });
  else if (name === 'latency') r = await latency({ quick });
  else if (name === 'scaleout') {
    if (!redisAnswers()) process.stderr.write(`[bench] scaleout skipped: no Redis at ${redisUrl}\n`);
    else r = await scaleout({ quick, redisUrl });
  } else if (name === 'replay') {
    if (!redisAnswers()) process.stderr.write(`[bench] replay skipped: no Redis at ${redisUrl}\n`);
    else r = await replay({ quick, redisUrl, profileDir });
  } else if (name === 'instant') r = await instant({ quick, profileDir, redisUrl: redisAnswers() ? redisUrl : undefined });
  else if (name === 'heavy-tail') r = await heavyTail({ quick });
  else if (name === 'tracing') r = await tracingOverhead({ quick, profileDir });
  if (r) {
    r.load = { start: loadAtStart, end: loadavg()[0]! };
    results.push(r);
    process.stderr.write(`[bench] ${name}: ${r.metric.label} = ${r.metric.value.toFixed(3)} (target ${r.metric.lowerIsBetter ? '≤' : '≥'} ${r.metric.target}) in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
}

/** The Kafka release: this checkout's local stack, else the brokers running on this machine (their class path names it). */
const kafkaDirs = (() => {
  try {
    const local = readdirSync(join(root, '.local-stack')).filter((d) => d.startsWith('kafka-')).map((d) => d.slice(6));
    if (local.length) return local;
  } catch {
    // no local stack in this checkout
  }
  const running = new Set<string>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('kafka.Kafka')) for (const m of cmd.matchAll(/kafka-(\d+\.\d+\.\d+)\/libs/g)) running.add(m[1]!);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return [...running];
})();
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const info = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]+)"/)?.[1] ?? process.platform}`,
  node: process.version,
  kafka: kafkaDirs.join(', ') || 'unknown (external broker)',
  quick,
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
};
writeReport(out, out.replace(/\.md$/, '.svg').replace(/RESULTS\.svg$/, 'results.svg'), info, results);
process.stderr.write(`[bench] wrote ${out}\n`);
process.exit(0);
