export { exportTransactions, type TransactionFilter, transactionColumns } from "./export-ledger.ts";
export { exportMembers, memberColumns } from "./export-members.ts";
export { csvCell, type ExportFormat } from "./format-rows.ts";
export { type ImportMapping, type ImportReport, type ImportRequest, importBalances } from "./import-balances.ts";
