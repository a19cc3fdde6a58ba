import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (for `php -S`, which cannot report the one it picked). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** PHP's built-in web server on `docroot`, resolved once it accepts connections. */
export async function startPhpServer(docroot: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop: () => Promise<void>; log: () => string }> {
  const port = await freePort();
  const child: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', docroot], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url, { method: 'HEAD' });
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`php -S exited: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
