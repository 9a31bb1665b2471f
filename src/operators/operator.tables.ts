/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface OperatorTable {
  id: string;
  terminal_id: string;
  merchant_id: string;
  code: string;
  role: string;
  password_hash: string;
  must_change_password: number;
  password_changed_at: string | null;
  created_at: string;
  /** Set by 柜员管理 → 删除 (migration 022): the operator can no longer sign on. */
  deleted_at: string | null;
}
