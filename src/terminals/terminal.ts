export interface Terminal {
  id: string;
  serial: string;
  merchantId: string;
  agentId: string;
  acquirerId: string;
  status: 'active' | 'disabled';
  createdAt: string;
}
