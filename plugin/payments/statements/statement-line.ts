/** One credit of a bank statement, as both readers (camt.053 and CSV) hand it to matching. */
export interface StatementLine {
  /** The bank's reference of the entry: the payment's externalId, so a re-import records nothing twice. */
  externalId: string;
  amountMinor: bigint;
  currency: string;
  /** YYYY-MM-DD as the bank booked it. */
  bookingDate: string;
  valueDate: string | null;
  /** Unstructured remittance text (RmtInf/Ustrd lines joined with a space). */
  remittance: string;
  /** Structured creditor references (RmtInf/Strd/CdtrRefInf/Ref), e.g. an RF reference. */
  references: string[];
  endToEndId: string | null;
  payer: string | null;
}

export interface ReadStatement {
  /** `camt053:<IBAN>` or `csv:<bank>`. */
  source: string;
  statementId: string | null;
  lines: StatementLine[];
  /** Entries left out and why (debits, pending entries, reversals). */
  skipped: Array<{ externalId: string; reason: string }>;
}
