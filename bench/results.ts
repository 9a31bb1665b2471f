import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/**
 * Writes a run's figures as JSON (bench/results.schema.md): the machine, the settings, every
 * figure, and the targets as measured. Raw latency samples are left out.
 */
export function writeResults(path: string, figures: Record<string, unknown>): void {
  const doc = {
    schema: 'refunddesk-bench/1',
    generatedAt: new Date().toISOString(),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? '?', node: process.version },
    ...figures,
  };
  writeFileSync(path, `${JSON.stringify(doc, (key, value) => (key === 'samples' ? undefined : value), 2)}\n`);
}
