/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface TerminalTable {
  id: string;
  serial: string;
  merchant_id: string;
  agent_id: string;
  status: string;
  unlock_secret: string | null;
  created_at: string;
  /** 终端编号: 8 digits, unique (migration 021). */
  terminal_no: string;
}
