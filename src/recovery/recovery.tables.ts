/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface UnlockChallengeTable {
  id: string;
  terminal_id: string;
  challenge: string;
  source: string;
  created_at: string;
  expires_at: string;
  code_time_step: number | null;
  code_issued_at: string | null;
  code_issued_by: string | null;
  used_at: string | null;
}

export interface RecoveryCodeTable {
  id: string;
  merchant_id: string;
  channel: string;
  code_hash: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}
