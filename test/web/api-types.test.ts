import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clientTypes, currentSpec, SCHEMA_FILE } from '../../scripts/api-types.js';

describe('the web app’s typed API client', () => {
  it('is generated from the server’s current OpenAPI document (npm run api:types mends a drift)', async () => {
    const fresh = await clientTypes(await currentSpec());
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(committed === fresh, 'web/src/api/schema.d.ts is stale: run `npm run api:types`').toBe(true);
  });
});
