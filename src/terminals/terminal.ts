export interface Terminal {
  id: string;
  serial: string;
  /** 终端编号: the 8 digits on its slips. */
  terminalNo: string;
  merchantId: string;
  agentId: string;
  acquirerId: string;
  status: 'active' | 'disabled';
  createdAt: string;
}
