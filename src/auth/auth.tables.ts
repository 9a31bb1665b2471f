/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface UserTable {
  id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  merchant_id: string | null;
  acquirer_id: string | null;
  agent_id: string | null;
  password_changed_at: string | null;
  created_at: string;
}

export interface SessionTable {
  id: string;
  token_hash: string;
  principal_kind: string;
  principal_id: string;
  role: string;
  merchant_id: string | null;
  terminal_id: string | null;
  acquirer_id: string | null;
  agent_id: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  must_change_password: number;
}

export interface ApiKeyTable {
  id: string;
  merchant_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  scopes: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}
