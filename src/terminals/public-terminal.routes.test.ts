import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';

describe.each(engines())('a terminal finds itself by its serial (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('answers only the id, the serial and the merchant’s name, without a token', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/v1/public/terminals/T-0001' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ id: h.ids.terminalId, serial: 'T-0001', merchantName: 'Demo Store / 演示商户' });
  });

  it('answers 404 for an unknown serial and 400 for one that is not a serial', async () => {
    expect(expectProblem(await h.app.inject({ method: 'GET', url: '/api/v1/public/terminals/T-9999' })).code).toBe(
      'not_found',
    );
    const bad = await h.app.inject({ method: 'GET', url: '/api/v1/public/terminals/T%200001%3B' });
    expect(expectProblem(bad).code).toBe('validation_failed');
  });

  it('limits look-ups per address, so serials cannot be enumerated', async () => {
    const ask = () =>
      h.app.inject({ method: 'GET', url: '/api/v1/public/terminals/T-0404', remoteAddress: '203.0.113.77' });
    for (let i = 0; i < 60; i++) expect((await ask()).statusCode).toBe(404);
    expect(expectProblem(await ask()).code).toBe('rate_limited');
  });
});
