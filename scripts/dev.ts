/**
 * `npm run dev`: the server from source, restarted when a file changes (`tsx watch`), beside a Vite
 * build of the web app that rebuilds on change (reload the page to see it). Ctrl-C stops both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from '../bin/build-state.js';

const children: ChildProcess[] = [
  spawn(process.execPath, ['--import', 'tsx', 'scripts/build.ts', 'web'], { cwd: ROOT, stdio: 'inherit' }),
];
children[0].once('exit', () => {
  children.push(
    spawn('npx', ['vite', 'build', '--watch', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: 'inherit',
    }),
    spawn('npx', ['tsx', 'watch', '--clear-screen=false', 'src/cli/main.ts', 'serve'], { cwd: ROOT, stdio: 'inherit' }),
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.kill(signal);
  });
}
