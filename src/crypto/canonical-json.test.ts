import { describe, expect, it } from 'vitest';
import { auditHash, GENESIS_HASH } from '../audit/audit-event.js';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: undefined }, 2], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[{"z":1},2]},"b":1}',
    );
  });

  it('gives the audit log the same details text, and so the same hash, as before it moved here', () => {
    // Golden values computed with the audit log's own copy before it was replaced by this one.
    const details = canonicalJson({ z: 1, a: { y: [2, { d: null, c: 'é' }], b: true }, m: 'x' });
    expect(details).toBe('{"a":{"b":true,"y":[2,{"c":"é","d":null}]},"m":"x","z":1}');
    const row = {
      id: 'aud_1',
      chain: 'platform',
      seq: 1,
      at: '2026-03-02T08:00:00.000Z',
      actor_kind: 'system',
      actor_id: null,
      action: 'backup.created',
      outcome: 'success',
      object_type: null,
      object_id: null,
      terminal_id: null,
      ip: null,
      details,
      prev_hash: GENESIS_HASH,
    };
    expect(auditHash(row)).toBe('15861df31b828d91441ac78cf7c687bfbcd6f5a56d3b915678377185542eb570');
  });
});
