/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface AcquirerTable {
  id: string;
  name: string;
  created_at: string;
}

export interface AgentTable {
  id: string;
  name: string;
  created_at: string;
}

export interface MerchantTable {
  id: string;
  name: string;
  acquirer_id: string;
  currency: string;
  language: string;
  email: string | null;
  phone: string | null;
  refund_password_hash: string | null;
  refund_password_changed_at: string | null;
  password_policy: string | null;
  created_at: string;
  /** 商户编号: 15 digits, unique (migration 021). */
  merchant_no: string;
}
