/**
 * The top items of a V8 CPU profile (--cpu-prof): self time per function and per package, as
 * shares of the time the process was busy (idle time left out). What the scenarios publish.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileTop {
  busyMs: number;
  functions: { name: string; share: number }[];
  packages: { name: string; share: number }[];
}

/** Where a function lives: a package of node_modules, our src/ room, Node itself, or V8's own. */
function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/')[0]}`;
  if (url.startsWith('node:')) return 'node';
  return url.split('/').slice(-2).join('/');
}

export function summariseProfile(file: string, top = 12): ProfileTop {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = n.callFrame;
    // Idle time, and the profiler answering its own stop, are not the processor's work.
    if (functionName === '(idle)' || url === 'node:inspector') continue;
    busy += dt;
    const where = url ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + dt);
    const pkg = packageOf(url, functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + dt);
  }
  const ranked = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, t]) => ({ name, share: t / busy }));
  return { busyMs: busy / 1000, functions: ranked(fns), packages: ranked(pkgs) };
}

/** The newest .cpuprofile in dir written after `since`. */
export function newestProfile(dir: string, since: number): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)).filter((f) => statSync(f).mtimeMs >= since);
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** One line per item: "12.3 % name". */
export function formatTop(items: { name: string; share: number }[], n: number): string {
  return items.slice(0, n).map((i) => `${(i.share * 100).toFixed(1)} % ${i.name}`).join('; ');
}

if (process.argv[1]?.endsWith('profile-top.ts') && process.argv[2]) {
  const t = summariseProfile(process.argv[2], Number(process.argv[3] ?? 25));
  process.stdout.write(`busy ${t.busyMs.toFixed(0)} ms\n\nby package:\n`);
  for (const x of t.packages) process.stdout.write(`  ${(x.share * 100).toFixed(1).padStart(5)} %  ${x.name}\n`);
  process.stdout.write('\nby function (self time):\n');
  for (const x of t.functions) process.stdout.write(`  ${(x.share * 100).toFixed(1).padStart(5)} %  ${x.name}\n`);
}
