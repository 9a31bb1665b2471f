export interface Merchant {
  id: string;
  name: string;
  /** 商户编号: the 15 digits on its slips. */
  merchantNo: string;
  acquirerId: string;
  currency: string;
  language: 'zh-CN' | 'en';
  email: string | null;
  phone: string | null;
  createdAt: string;
}
export const languages = ['zh-CN', 'en'] as const;
