// Published test vectors shared by several test files (protocol doc §9).

/** §9 A3: chloerei/alipay create_partner_trade_by_buyer, key 1000…0 → b5d30863b44acd8514a49b0320fb2aa2. */
export const A3_PARAMS: Readonly<Record<string, string>> = {
  service: 'create_partner_trade_by_buyer',
  _input_charset: 'utf-8',
  partner: '1000000000000000',
  seller_id: '1000000000000000',
  payment_type: '1',
  out_trade_no: '1',
  subject: 'test',
  logistics_type: 'POST',
  logistics_fee: '0',
  logistics_payment: 'SELLER_PAY',
  price: '0.01',
  quantity: '1',
};
