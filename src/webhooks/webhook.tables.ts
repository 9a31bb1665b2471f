/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface WebhookEndpointTable {
  id: string;
  merchant_id: string;
  url: string;
  description: string | null;
  events: string;
  secret_ciphertext: string | null;
  enabled: number;
  created_at: string;
  deleted_at: string | null;
}

export interface WebhookDeliveryTable {
  id: string;
  endpoint_id: string;
  merchant_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  sending_until: string | null;
  created_at: string;
  delivered_at: string | null;
}
