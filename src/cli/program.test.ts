import { type Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../seed/demo.js';
import { buildProgram, runnableCommands } from './program.js';

/** The command definitions, parsed in process: help, descriptions, no secret on the command line. */

const SUPERVISOR = 'T-0001:00';
const never = async () => {
  throw new Error('an action ran');
};

function program(): { root: Command; output: () => string } {
  const root = buildProgram(never);
  let text = '';
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    c.commands.forEach(quiet);
  };
  quiet(root);
  return { root, output: () => text };
}

function find(root: Command, path: string[]): Command {
  return path.reduce((c, name) => c.commands.find((s) => s.name() === name) as Command, root);
}

async function parse(argv: string[]): Promise<{ err: CommanderError; text: string }> {
  const p = program();
  const err = await p.root.parseAsync(['node', 'refunddesk', ...argv]).catch((e: unknown) => e);
  expect(err, argv.join(' ')).toBeInstanceOf(CommanderError);
  return { err: err as CommanderError, text: p.output() };
}

describe('the command definitions (in process)', () => {
  it('every command and group has a description and --help (exit 0)', async () => {
    const root = program().root;
    const groups = root.commands.filter((c) => c.commands.length > 0).map((c) => [c.name()]);
    for (const path of [...groups, ...runnableCommands(root)]) {
      expect(find(root, path).description(), path.join(' ')).not.toBe('');
      const { err } = await parse([...path, '--help']);
      expect(err.exitCode, path.join(' ')).toBe(0);
    }
  });

  it('the secret-reading commands name in --help the environment variables they read, with an example', async () => {
    const expected: Record<string, string[]> = {
      'refund-password status': [],
      'refund-password change': ['CURRENT_REFUND_PASSWORD', 'NEW_REFUND_PASSWORD'],
      'refund-password policy': [],
      'recovery challenge': [],
      'recovery unlock-code': [],
      'recovery reset': ['UNLOCK_CODE', 'NEW_REFUND_PASSWORD'],
      'recovery send-code': [],
      'recovery verify-code': ['RECOVERY_CODE', 'NEW_REFUND_PASSWORD'],
      'operator reset-password': ['TEMPORARY_PASSWORD'],
      'login-password change': ['CURRENT_PASSWORD', 'NEW_PASSWORD'],
      'terminal reinit': ['REINIT_PASSWORD'],
    };
    for (const [path, names] of Object.entries(expected)) {
      const { err, text } = await parse([...path.split(' '), '--help']);
      expect(err.exitCode, path).toBe(0);
      expect(text, path).toContain('Reads DATABASE_URL');
      expect(text, path).toContain('Example:');
      for (const name of names) expect(text, path).toContain(name);
    }
  });

  it('no option can carry a secret; secrets given as flags or arguments are refused before anything runs', async () => {
    const root = program().root;
    for (const path of runnableCommands(root)) {
      for (const o of find(root, path).options) {
        expect(o.long, path.join(' ')).not.toMatch(/password|secret|pin|unlock-code|recovery-code|otp|token/);
      }
    }
    for (const argv of [
      ['refund-password', 'change', '--merchant', 'mer_x', '--as-operator', SUPERVISOR, '583920417'],
      ['refund-password', 'change', '--merchant', 'mer_x', '--current-password', '583920417'],
      ['recovery', 'reset', '--terminal', 'T-0001', '--as-operator', SUPERVISOR, '--unlock-code', '12345678'],
      ['recovery', 'verify-code', '--merchant', 'mer_x', '--as-user', DEMO.owner.email, '123456'],
      ['operator', 'reset-password', '--terminal', 'T-0001', '--code', '01', '--temporary-password', '1234'],
      ['login-password', 'change', '--as-user', DEMO.owner.email, '--new-password', 'Lantern-Harbor-77'],
      ['login-password', 'change', '--as-user', DEMO.owner.email, 'Lantern-Harbor-77'],
      ['merchant', 'create', '--name', 'x', '--acquirer', 'acq_x', '--refund-password', '583920417'],
      ['operator', 'add', '--terminal', 'T-0001', '--code', '05', 'Passw0rd123'],
    ]) {
      const { err } = await parse(argv);
      expect(err.exitCode, argv.join(' ')).toBe(1);
      expect(err.code, argv.join(' ')).toMatch(/^commander\.(unknownOption|excessArguments)$/);
    }
  });

  it('policy settings are checked when parsed: integers within PCI DSS 8.3 bounds', async () => {
    for (const bad of [
      ['--lock-after', '50'],
      ['--lock-after', '0'],
      ['--lock-minutes', '10'],
      ['--history', '2'],
      ['--expiry-days', '365'],
      ['--min-length', '4'],
      ['--max-length', '8.5'],
      ['--lock-after', '5x'],
    ]) {
      const { err } = await parse(['refund-password', 'policy', '--merchant', 'mer_x', ...bad]);
      expect(err.code, bad.join(' ')).toBe('commander.invalidArgument');
    }
  });
});
