import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMPILED_CLI } from './server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, checked field by field
  json: () => any;
}

/**
 * The real `refunddesk` CLI as a child process on `databaseUrl`: the environment is the test's plus
 * `settings`, minus every secret variable but those in `env`, so that a secret can only come from
 * where the test put it. Standard input gets `stdin` lines (or nothing).
 */
export async function runCli(
  databaseUrl: string,
  args: string[],
  secrets: { env?: Record<string, string>; stdin?: string[]; settings?: Record<string, string> } = {},
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, ...secrets.settings };
  for (const name of Object.keys(env)) if (/PASSWORD|_CODE$/.test(name)) delete env[name];
  Object.assign(env, secrets.env);
  const child = spawn(process.execPath, [COMPILED_CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(secrets.stdin ? `${secrets.stdin.join('\n')}\n` : '');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
