import { buildProgram } from './program.js';
import { fail } from './run.js';

/** `refunddesk`: any failure, of the arguments or of the command, is one line and a non-zero exit. */
try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  fail(e);
}
