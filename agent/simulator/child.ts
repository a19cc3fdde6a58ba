import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SimulatorProcess {
  host: string;
  port: number;
  /** API-SSL port when the simulator was given a certificate. */
  tlsPort: number | null;
  pid: number;
  stop(): Promise<void>;
}

const OCTET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../plugin/cli/octet.js');

/**
 * Runs `octet simulate-router` as a child process (so that its CPU is not the caller's, e.g. in
 * benchmarks) and resolves once it listens. `args` are the command's flags; `--port 0` is added
 * unless a port is given.
 */
export function spawnSimulator(args: string[], options: { startTimeoutMs?: number } = {}): Promise<SimulatorProcess> {
  const full = [OCTET, 'simulate-router', ...(args.includes('--port') || args.includes('-p') ? [] : ['--port', '0']), ...args];
  const child: ChildProcess = spawn(process.execPath, full, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator did not start within ${options.startTimeoutMs ?? 60_000} ms: ${err}`));
    }, options.startTimeoutMs ?? 60_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code}: ${err}`));
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      // The start-up line is written in one piece and ends with a newline.
      if (!out.includes('\n')) return;
      const m = /API on ([^\s:]+):(\d+)/.exec(out);
      if (!m) return;
      const ssl = /API-SSL on [^\s:]+:(\d+)/.exec(out);
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        host: m[1]!,
        port: Number(m[2]),
        tlsPort: ssl ? Number(ssl[1]) : null,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
